"""`python -m openai_images`: the command `openai-images-mcp`, the same as the installed script."""

import sys

from openai_images.cli import main

if __name__ == "__main__":
    sys.exit(main())
