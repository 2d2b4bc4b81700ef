"""The tools' parameters: each one's type, allowed values and the words the model reads.

Declared once, so both generating tools' schemas agree and stay flat (one property each). The allowed values
come from image_models and dialogue, the one place each list is defined. Descriptions are short on
purpose: many clients put every tool definition into the model's context on every turn.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from openai_images import dialogue, inputs
from openai_images import image_models as models


def tool_annotations(title: str, *, read_only: bool, destructive: bool, idempotent: bool, open_world: bool) -> dict[str, object]:
    """MCP tool annotations, all five stated (clients assume the worst of a hint left out)."""
    return {
        "title": title,
        "readOnlyHint": read_only,
        "destructiveHint": destructive,
        "idempotentHint": idempotent,
        "openWorldHint": open_world,
    }


SIZE_HELP = "WIDTHxHEIGHT (1024x1024, 1536x1024, 1024x1536 ...) or auto; omit to let the server choose."

# Both generating tools.
Size = Annotated[str | None, Field(description=SIZE_HELP)]
Quality = Annotated[
    Literal[models.Quality, models.ExtraQuality] | None,
    Field(description="low, medium, high or auto; xhigh, max on gpt-image-2.5. Higher costs more."),
]
Background = Annotated[models.Background | None, Field(description="transparent (png or webp only), opaque or auto.")]
Format = Annotated[models.OutputFormat | None, Field(description="png (default), webp, jpeg, gif (animated) or svg (a vector file).")]
Frames = Annotated[int | None, Field(ge=2, le=16, description="gif: how many frames, 2-16 (default 9).")]
FrameMs = Annotated[int | None, Field(ge=10, le=10_000, description="gif: each frame's time in ms (default 200).")]
Compression = Annotated[int | None, Field(ge=0, le=100, description="0-100 for jpeg or webp (100 = best).")]
Moderation = Annotated[models.Moderation | None, Field(description="OpenAI's moderation: auto (default) or low (less strict).")]
Fidelity = Annotated[models.Fidelity | None, Field(description="high or low, on models that take it: how closely input images are kept.")]
Complexity = Annotated[
    models.Complexity | None, Field(description="Planning effort, apart from quality: low, medium or high (default: the model's).")
]
References = Annotated[list[str] | None, Field(description="Up to 16 absolute paths of local images as style or subject references.")]
Partial = Annotated[int, Field(ge=0, le=3, description="0-3 previews while rendering (about 100 image tokens each).")]
DryRun = Annotated[bool, Field(description="True: send nothing; return the request and its estimated cost.")]
Window = Annotated[
    models.CompletionWindow,
    Field(description="soonest (default), or 2h/8h: discounted; returns at once, openai_get_image collects it."),
]
Variations = Annotated[
    int,
    Field(
        ge=1,
        le=inputs.MAX_VARIATIONS,
        description="1-4 images at once, each charged, on one numbered contact sheet.",
    ),
]

# openai_conversational_image.
Prompt = Annotated[str, Field(description="What to draw, the answer to the pending question, or what to change.")]
Conversation = Annotated[str | None, Field(description="conv_... of an earlier result, to answer its question or refine its image.")]
Branch = Annotated[str | None, Field(description="With conversation_id: its img_... to refine instead of the last image.")]
Mode = Annotated[dialogue.ModeName, Field(description="Questions first: quick (1-2), guided (3-5, default), explorer (6-8) or skip.")]
Skip = Annotated[bool, Field(description="True: no questions.")]
FileId = Annotated[str | None, Field(description="An OpenAI file id (file-...) or an image_id (img_...) to work from.")]
InputPath = Annotated[str | None, Field(description="Absolute path of a local PNG, JPEG or WebP (up to 50 MB) to edit.")]
Mask = Annotated[str | None, Field(description="PNG the edited image's size; transparent pixels mark what to change.")]
Markup = Annotated[str | None, Field(description="PNG drawn over the edited image to guide it, transparent elsewhere; not with a mask.")]
Assistant = Annotated[str | None, Field(description="The OpenAI model driving the image tool (default OPENAI_ASSISTANT_MODEL).")]
RefinedSize = Annotated[str | None, Field(description=SIZE_HELP + " A refinement keeps its size.")]

# openai_generate_image.
FullPrompt = Annotated[str, Field(description="Full description of the image.")]

# openai_list_conversations.
Limit = Annotated[int, Field(ge=1, le=500, description="How many, newest first (default 20).")]
Query = Annotated[
    str | None, Field(max_length=inputs.MAX_QUERY_CHARS, description="Only conversations whose title or prompts hold this text (any case).")
]

# openai_get_image.
Collect = Annotated[str, Field(description="conv_... from an earlier result, e.g. one whose image was still rendering.")]
Show = Annotated[
    str | None, Field(description="An img_... of this conversation to show again. Omit for the image being made or the latest.")
]
Wait = Annotated[float | None, Field(ge=0, le=3600, description="Longest wait for a render (default OPENAI_IMAGES_WAIT_SECONDS, 50).")]
Cancel = Annotated[bool, Field(description="True: cancel the render in progress; no file will come of it.")]
