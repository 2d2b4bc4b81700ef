"""The MCP prompts: ready-made requests for common image jobs, which clients offer as slash commands (no I/O).

Each prompt turns a few arguments into one user message that tells the calling model which
tool to call, with which options and size, and what to put in the image prompt. Sizes are left
to the server where its frame choice is better than a fixed one (a social post's platform, a
slide's 16:9 on the configured model); where a job has one right answer (a transparent sticker
is a square PNG), the message names it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Argument:
    name: str
    description: str
    required: bool = False


@dataclass(frozen=True, kw_only=True)
class Template:
    name: str
    title: str
    description: str
    arguments: tuple[Argument, ...]


TEMPLATES: tuple[Template, ...] = (
    Template(
        name="logo",
        title="Design a logo",
        description="A logo for a brand or product: a square PNG on a transparent background, with a few questions first.",
        arguments=(
            Argument("brand", "The name the logo is for, as it should be spelled", required=True),
            Argument("about", "What the brand does or stands for, in a few words"),
            Argument("style", "A look, e.g. minimal flat, vintage badge, geometric, hand-drawn"),
            Argument("colours", "Colours to use, e.g. navy and gold, or #1A73E8"),
        ),
    ),
    Template(
        name="product_shot",
        title="Product shot",
        description="A studio-quality photo of a product, for a shop, a listing or an advert.",
        arguments=(
            Argument("product", "The product, with what makes it recognisable (material, colour, shape)", required=True),
            Argument("setting", "Where it is shown, e.g. white seamless studio, marble counter, outdoors at golden hour"),
            Argument("use", "Where the image goes, e.g. Amazon listing, website hero, Instagram ad"),
        ),
    ),
    Template(
        name="slide_background",
        title="Slide background",
        description="A 16:9 background for presentation slides, calm enough for text on top.",
        arguments=(
            Argument("topic", "What the talk or deck is about", required=True),
            Argument("style", "A look, e.g. soft gradient, abstract geometric, blurred photo"),
            Argument("text_space", "Where the slide's text goes, e.g. left third, centre, top"),
        ),
    ),
    Template(
        name="social_post",
        title="Social media post",
        description="An image for a social network, in the frame that platform uses (post, story, pin, thumbnail, header ...).",
        arguments=(
            Argument(
                "platform",
                "Where it is posted, e.g. Instagram post, Instagram story, Pinterest pin, YouTube thumbnail, LinkedIn banner",
                required=True,
            ),
            Argument("message", "What the post says or shows", required=True),
            Argument("style", "A look, e.g. bold flat illustration, lifestyle photo, retro poster"),
        ),
    ),
    Template(
        name="sticker",
        title="Sticker or transparent icon",
        description="A sticker or icon with a transparent background: a square PNG, ready to place on anything.",
        arguments=(
            Argument("subject", "What the sticker or icon shows", required=True),
            Argument("style", "A look, e.g. kawaii with a white die-cut border, flat line icon, 3D glossy"),
        ),
    ),
    Template(
        name="photo_edit",
        title="Edit a photo",
        description="Change a photo you have: replace a background, remove an object, change the season, retouch.",
        arguments=(
            Argument("image_path", "Absolute path of the photo on this computer (PNG, JPEG or WebP)", required=True),
            Argument("change", "What to change, e.g. replace the sky with a sunset, remove the car on the left", required=True),
            Argument("mask_path", "Optional: a PNG the same size as the photo whose transparent pixels mark what may change"),
        ),
    ),
)

BY_NAME = {template.name: template for template in TEMPLATES}


def _given(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


def _quote(value: str) -> str:
    return value.replace('"', "'")


def render(name: str, arguments: dict[str, str | None]) -> str:
    """The user message for prompt `name`; ValueError naming a missing required argument."""
    template = BY_NAME[name]
    values = {argument.name: _given(arguments.get(argument.name)) for argument in template.arguments}
    missing = [argument.name for argument in template.arguments if argument.required and not values[argument.name]]
    if missing:
        raise ValueError(f"The {name} prompt needs {', '.join(missing)}.")
    return _BUILDERS[name](values)


def _logo(v: dict[str, str | None]) -> str:
    brand = _quote(v["brand"] or "")
    parts = [f'a logo for "{brand}"']
    if v["about"]:
        parts.append(f"a brand that {v['about']}" if not v["about"].lower().startswith(("a ", "an ", "the ")) else v["about"])
    if v["style"]:
        parts.append(f"{v['style']} style")
    if v["colours"]:
        parts.append(f"in {v['colours']}")
    prompt = ", ".join(parts) + f', with the name "{brand}" spelled exactly, clean vector shapes, centred on an empty background'
    return (
        f'Design a logo for {brand}. Call openai_conversational_image with prompt="{prompt}", '
        'background="transparent", output_format="png", size="1024x1024" and dialogue_mode="quick": the server '
        "asks one or two questions first (ask me them), then makes the logo. Afterwards, offer to refine it with the "
        "conversation_id (for example a simpler mark, other colours, or an icon-only version)."
    )


def _product_shot(v: dict[str, str | None]) -> str:
    setting = v["setting"] or "a clean white seamless studio background"
    prompt = (
        f"Professional product photograph of {v['product']}, on {setting}, soft diffused studio lighting with gentle "
        "shadows, sharp focus on the product, true-to-life colours and materials, no text, no logos other than the product's own"
    )
    use = f" It is for {v['use']}: leave the size out and the server picks the frame that suits it." if v["use"] else ""
    return (
        f'Make a product shot of {v["product"]}. Call openai_generate_image with prompt="{_quote(prompt)}" and '
        f'quality="high".{use} If I want to see a few options first, add variations=3 (each costs as much as one image). '
        "Show me the preview and offer refinements through openai_conversational_image with the conversation_id."
    )


def _slide_background(v: dict[str, str | None]) -> str:
    style = v["style"] or "a soft, low-contrast abstract background"
    space = v["text_space"] or "the left half"
    prompt = (
        f"Presentation slide background for a talk about {v['topic']}: {style}, widescreen 16:9, calm and uncluttered, "
        f"with generous empty space in {space} for the slide's title and text, no text or letters in the image"
    )
    return (
        f'Make a slide background for a deck about {v["topic"]}. Call openai_generate_image with prompt="{_quote(prompt)}" '
        'and leave size out: the server picks the 16:9 frame the configured model supports. Use quality="medium" '
        "unless I ask for more; the slide's text is added in the presentation tool, not in the image."
    )


def _social_post(v: dict[str, str | None]) -> str:
    style = f", {v['style']}" if v["style"] else ""
    prompt = f"{v['platform']} image: {v['message']}{style}, eye-catching at a small size, the main subject clear and centred"
    return (
        f"Make an image for {v['platform']} about: {v['message']}. Call openai_conversational_image with "
        f'prompt="{_quote(prompt)}" and dialogue_mode="quick", and leave size out: the server recognises the platform '
        "and uses its frame (for example 4:5 or 1:1 for an Instagram post, 9:16 for a story, 2:3 for a Pinterest pin, "
        "16:9 for a YouTube thumbnail) and says which. If the post needs words in the image, put the exact words in "
        "quotes in the prompt."
    )


def _sticker(v: dict[str, str | None]) -> str:
    style = v["style"] or "a cute flat sticker with a thick white die-cut border"
    prompt = f"{v['subject']}, {style}, isolated on a fully transparent background, no shadow on the background, no text"
    return (
        f'Make a sticker of {v["subject"]}. Call openai_generate_image with prompt="{_quote(prompt)}", '
        'background="transparent", output_format="png" and size="1024x1024" (a transparent background needs PNG or '
        "WebP). Tell me where the file was saved."
    )


def _photo_edit(v: dict[str, str | None]) -> str:
    mask = f' and mask_path="{_quote(v["mask_path"])}" (only its transparent pixels change)' if v["mask_path"] else ""
    return (
        f"Edit my photo {v['image_path']}: {v['change']}. Call openai_conversational_image with "
        f'input_image_path="{_quote(v["image_path"] or "")}"{mask}, prompt="{_quote(v["change"] or "")}; keep everything '
        'else exactly as it is", size="auto" (so the photo keeps its frame) and input_fidelity="high" to keep faces '
        "and details (leave input_fidelity out if the server says the model does not take it). To change it again, call "
        "with the conversation_id from the result."
    )


_BUILDERS = {
    "logo": _logo,
    "product_shot": _product_shot,
    "slide_background": _slide_background,
    "social_post": _social_post,
    "sticker": _sticker,
    "photo_edit": _photo_edit,
}
