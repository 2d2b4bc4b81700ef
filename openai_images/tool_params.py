"""The generating tools' shared parameters: each one's type, allowed values and the words the model reads.

Declared once, so both tools' schemas agree and stay flat (one property each). The allowed values
come from image_models and dialogue, the one place each list is defined. Descriptions are short on
purpose: many clients put every tool definition into the model's context on every turn.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from openai_images import dialogue, inputs
from openai_images.image_models import (
    BACKGROUNDS,
    COMPLETION_WINDOWS,
    EXTRA_QUALITIES,
    FIDELITIES,
    MODERATIONS,
    OUTPUT_FORMATS,
    QUALITIES,
)


def tool_annotations(title: str, *, read_only: bool, destructive: bool, idempotent: bool, open_world: bool) -> dict[str, object]:
    """MCP tool annotations, all five stated (clients assume the worst of a hint left out)."""
    return {
        "title": title,
        "readOnlyHint": read_only,
        "destructiveHint": destructive,
        "idempotentHint": idempotent,
        "openWorldHint": open_world,
    }


SIZE_HELP = "WIDTHxHEIGHT such as 1024x1024, 1536x1024 (landscape), 1024x1536 (portrait), or auto. Omit to let the server pick one for the kind of image."
QUALITY_HELP = (
    "low, medium, high or auto (OpenAI's default); xhigh and max only on gpt-image-2.5 models. Higher costs more and takes longer."
)
BACKGROUND_HELP = "transparent (needs output_format png or webp), opaque, or auto."
FORMAT_HELP = "File format: png (default), webp or jpeg."
COMPRESSION_HELP = "0-100 compression for jpeg or webp (100 = best quality)."
MODERATION_HELP = "OpenAI content moderation: auto (default) or low (less strict)."
FIDELITY_HELP = "How closely to keep input images' details and faces: high or low. Only gpt-image-1.5 (and low on gpt-image-1-mini)."
PARTIAL_HELP = "0-3 previews streamed while rendering, reported as progress; each costs about 100 extra image tokens. Default 0."
DRY_RUN_HELP = "True to send nothing and return the exact request that would be sent, with an estimated cost."
WINDOW_HELP = (
    "soonest (default): render now. 2h or 8h: a discounted render OpenAI finishes within that window; "
    "the call answers at once and openai_get_image collects the image later."
)
MODE_HELP = "Questions to ask before generating a new image: quick (1-2), guided (3-5, default), explorer (6-8), skip (none)."
VARIATIONS_HELP = (
    "1-4 (default 1): make that many images of this prompt at once, one request each (each charged as one image). "
    "The result shows one numbered contact sheet and each image_id; refine the one the user picks with its image_id."
)

SizeArg = Annotated[str | None, Field(description=SIZE_HELP)]
QualityArg = Annotated[Literal[QUALITIES + EXTRA_QUALITIES] | None, Field(description=QUALITY_HELP)]
BackgroundArg = Annotated[Literal[BACKGROUNDS] | None, Field(description=BACKGROUND_HELP)]
FormatArg = Annotated[Literal[OUTPUT_FORMATS] | None, Field(description=FORMAT_HELP)]
CompressionArg = Annotated[int | None, Field(ge=0, le=100, description=COMPRESSION_HELP)]
ModerationArg = Annotated[Literal[MODERATIONS] | None, Field(description=MODERATION_HELP)]
FidelityArg = Annotated[Literal[FIDELITIES] | None, Field(description=FIDELITY_HELP)]
ModeArg = Annotated[Literal[tuple(mode.value for mode in dialogue.DialogueMode)], Field(description=MODE_HELP)]
ReferencesArg = Annotated[
    list[str] | None, Field(description="Up to 16 absolute paths of local images to use as style or subject references.")
]
PartialArg = Annotated[int, Field(ge=0, le=3, description=PARTIAL_HELP)]
DryRunArg = Annotated[bool, Field(description=DRY_RUN_HELP)]
WindowArg = Annotated[Literal[COMPLETION_WINDOWS], Field(description=WINDOW_HELP)]
VariationsArg = Annotated[int, Field(ge=1, le=inputs.MAX_VARIATIONS, description=VARIATIONS_HELP)]
