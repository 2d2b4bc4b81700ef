"""openai-images-mcp: an MCP stdio server that makes and refines images with OpenAI's GPT image models.

This module declares the tools and resources and wires them to the helpers:
`inputs` checks arguments and loads input images, `dialogue_mcp` asks the questions
before a new image, `generation` makes and records the image, `rendering` turns the
outcome into MCP content. It starts fast (OpenAI's SDK and Pillow load on first use),
keeps stdout for JSON-RPC only (logs go to stderr), and turns every failure into an
MCP error whose message says what to change.

Run: python3 openai_images_mcp.py
"""

from __future__ import annotations

import sys

if sys.version_info < (3, 11):  # noqa: UP036  # run by the interpreter a client names, which may be older: asyncio.timeout, enum.StrEnum ...: one clear line instead of an ImportError later
    sys.exit(f"openai-images-mcp needs Python 3.11 or newer; this is Python {sys.version.split()[0]} ({sys.executable}).")
from openai_images.startup import collector_paused  # the package's __init__ imports nothing

with collector_paused():
    import asyncio
    import logging
    import time

    from fastmcp import Context, FastMCP
    from fastmcp.resources import ResourceContent, ResourceResult
    from fastmcp.tools.base import ToolResult

    from openai_images import (
        __version__,
        dialogue,
        dialogue_mcp,
        gallery,
        generation,
        inline_previews,
        inputs,
        mcp_prompts,
        rendering,
        signin,
        stdio_wire,
        storage,
        tool_schemas,
    )
    from openai_images import tool_params as arg
    from openai_images.dialogue_mcp import ToolOutput
    from openai_images.errors import ImageServerError, InvalidInput, NotFound, log_to_stderr, redact
    from openai_images.services import Services
    from openai_images.tool_errors import ArgumentErrorsInPlainWords, as_resource, as_tool_result
    from openai_images.tool_params import tool_annotations
    from openai_images.tool_steps import collect_or_show, refine, resume_listed, run_job, settle

    log = logging.getLogger("openai_images_mcp")

    SERVER_NAME = "openai-images"
    mcp = FastMCP(
        SERVER_NAME,
        version=__version__,
        instructions=(
            "Creates and refines images with OpenAI's GPT image models. Images are saved as files "
            "(the result gives the path and a small preview). To change an image, call "
            "openai_conversational_image again with the conversation_id from the previous result."
        ),
    )

services = Services()


def _caller() -> Services:
    """The services of whoever makes this call: the local user, or the signed-in one on a shared HTTP server."""
    return services.for_user(signin.current_user())


# --- tools -------------------------------------------------------------------


@mcp.tool(
    name="openai_conversational_image",
    title="Create or refine an image (conversation)",
    annotations=tool_annotations(
        "Create or refine an image (conversation)", read_only=False, destructive=False, idempotent=False, open_world=True
    ),
    output_schema=rendering.IMAGE_RESULT_SCHEMA,
    meta=gallery.TOOL_META,  # hosts with MCP Apps show the result in the gallery; others ignore it
)
async def openai_conversational_image(
    prompt: arg.Prompt,
    ctx: Context,
    conversation_id: arg.Conversation = None,
    image_id: arg.Branch = None,
    dialogue_mode: arg.Mode = dialogue.DEFAULT_MODE.value,
    skip_dialogue: arg.Skip = False,
    input_image_file_id: arg.FileId = None,
    input_image_path: arg.InputPath = None,
    mask_path: arg.Mask = None,
    markup_path: arg.Markup = None,
    reference_image_paths: arg.References = None,
    assistant_model: arg.Assistant = None,
    size: arg.RefinedSize = None,
    quality: arg.Quality = None,
    background: arg.Background = None,
    output_format: arg.Format = None,
    output_compression: arg.Compression = None,
    moderation: arg.Moderation = None,
    input_fidelity: arg.Fidelity = None,
    complexity: arg.Complexity = None,
    frame_count: arg.Frames = None,
    frame_duration_ms: arg.FrameMs = None,
    partial_images: arg.Partial = 0,
    completion_window: arg.Window = "soonest",
    variations: arg.Variations = 1,
    dry_run: arg.DryRun = False,
) -> ToolOutput:
    """Create an image after a few questions, or refine an earlier one.

    A new prompt first gets questions (unless dialogue_mode is skip): ask the user each one, and call again with
    the conversation_id and the answer as prompt. To change an image, pass its conversation_id and say what to change.
    """
    svc = _caller()

    async def run() -> ToolOutput:
        deadline = time.monotonic() + svc.settings.wait_seconds  # for the whole call, a refinement's wait included
        text = inputs.check_prompt(prompt)  # checked first: a reply to a form carries the original prompt again
        continuing = dialogue_mcp.continued_elicitation(ctx)
        if continuing is not None:
            return await dialogue_mcp.resume_elicitation(continuing, ctx, svc)
        explicit_size = inputs.check_size(size, svc) if inputs.given(size) else None
        call = inputs.check_call_options(
            quality=quality,
            background=background,
            output_format=output_format,
            output_compression=output_compression,
            moderation=moderation,
            input_fidelity=input_fidelity,
            complexity=complexity,
            frame_count=frame_count,
            frame_duration_ms=frame_duration_ms,
            partial_images=partial_images,
            reference_paths=reference_image_paths,
            mask_path=mask_path,
            dry_run=dry_run,
            services=svc,
            completion_window=completion_window,
            variations=variations,
            markup_path=markup_path,
        )
        inputs.check_key(svc, dry_run=call.dry_run)  # before the first question: the dialogue would end in this error
        with_image = bool(input_image_file_id or input_image_path)
        if image_id is not None and conversation_id is None:
            raise InvalidInput("image_id names an earlier image to refine, so it needs that image's conversation_id as well.")
        if conversation_id is not None:
            conversation = await asyncio.to_thread(svc.store.load, storage.check_conversation_id(conversation_id))
            if conversation.question_pending and not call.dry_run:
                return await dialogue_mcp.answer(conversation, text, explicit_size=explicit_size, ctx=ctx, services=svc)
            if not call.dry_run:  # an image still rendering here is waited for first: the next turn goes on from it
                conversation, waiting = await settle(conversation, deadline=deadline, ctx=ctx, svc=svc)
                if waiting is not None:
                    return waiting
            state = dialogue.restore(conversation.dialogue)
            if state is not None and state.status != dialogue.DialogueStatus.CANCELLED and not conversation.images and not with_image:
                # A dialogue whose image is not made yet: the first attempt failed, or this is a dry run.
                return await dialogue_mcp.finish(conversation, call=call, ctx=ctx, services=svc)
            model = inputs.check_model_name(assistant_model or conversation.assistant_model or svc.settings.assistant_model)
            return await refine(
                conversation,
                text=text,
                explicit_size=explicit_size,
                assistant_model=model,
                call=call,
                file_id=input_image_file_id,
                path=input_image_path,
                ctx=ctx,
                svc=svc,
                parent=generation.pick_image(conversation, image_id),
                wait_seconds=max(deadline - time.monotonic(), 1.0),
            )

        model = inputs.check_model_name(assistant_model or svc.settings.assistant_model)
        if call.markup_path:  # a markup edit of input_image_path: at once, without questions
            return await refine(
                None,
                text=text,
                explicit_size=explicit_size,
                assistant_model=model,
                call=call,
                file_id=input_image_file_id,
                path=input_image_path,
                ctx=ctx,
                svc=svc,
            )
        images, mask_url = await inputs.prepare_images(
            conversation=None, file_id=input_image_file_id, path=input_image_path, call=call, services=svc
        )
        if skip_dialogue or dialogue_mode == dialogue.DialogueMode.SKIP or images or call.dry_run:
            # Questions are for a new picture from words alone; an edit, or a dry run, goes straight through.
            job = generation.plan_new(
                text=text,
                explicit_size=explicit_size,
                assistant_model=model,
                dialogue_mode=dialogue_mode,
                skip_dialogue=skip_dialogue,
                images=images,
                options=call.options,
                mask_url=mask_url,
                services=svc,
                completion_window=call.completion_window,
                variations=call.variations,
            )
            return await run_job(job, call=call, ctx=ctx, svc=svc)
        return await dialogue_mcp.begin(
            text=text, mode=dialogue_mode, assistant_model=model, explicit_size=explicit_size, call=call, ctx=ctx, services=svc
        )

    return await as_tool_result(run())


@mcp.tool(
    name="openai_generate_image",
    title="Generate an image (one shot)",
    annotations=tool_annotations("Generate an image (one shot)", read_only=False, destructive=False, idempotent=False, open_world=True),
    output_schema=rendering.IMAGE_RESULT_SCHEMA,
    meta=gallery.TOOL_META,  # hosts with MCP Apps show the result in the gallery; others ignore it
)
async def openai_generate_image(
    prompt: arg.FullPrompt,
    ctx: Context,
    size: arg.Size = None,
    quality: arg.Quality = None,
    background: arg.Background = None,
    output_format: arg.Format = None,
    output_compression: arg.Compression = None,
    moderation: arg.Moderation = None,
    input_fidelity: arg.Fidelity = None,
    complexity: arg.Complexity = None,
    frame_count: arg.Frames = None,
    frame_duration_ms: arg.FrameMs = None,
    reference_image_paths: arg.References = None,
    partial_images: arg.Partial = 0,
    completion_window: arg.Window = "soonest",
    variations: arg.Variations = 1,
    dry_run: arg.DryRun = False,
) -> ToolResult:
    """Generate one image at once from a complete description, with no questions.

    The result's conversation_id lets openai_conversational_image refine it.
    """
    svc = _caller()

    async def run() -> ToolResult:
        text = inputs.check_prompt(prompt)
        explicit_size = inputs.check_size(size, svc) if inputs.given(size) else None
        call = inputs.check_call_options(
            quality=quality,
            background=background,
            output_format=output_format,
            output_compression=output_compression,
            moderation=moderation,
            input_fidelity=input_fidelity,
            complexity=complexity,
            frame_count=frame_count,
            frame_duration_ms=frame_duration_ms,
            partial_images=partial_images,
            reference_paths=reference_image_paths,
            mask_path=None,
            dry_run=dry_run,
            services=svc,
            completion_window=completion_window,
            variations=variations,
        )
        inputs.check_key(svc, dry_run=call.dry_run)
        images, _ = await inputs.prepare_images(conversation=None, file_id=None, path=None, call=call, services=svc)
        job = generation.plan_new(
            text=text,
            explicit_size=explicit_size,
            assistant_model=svc.settings.assistant_model,
            dialogue_mode=dialogue.DialogueMode.SKIP.value,
            skip_dialogue=True,
            images=images,
            options=call.options,
            mask_url=None,
            services=svc,
            completion_window=call.completion_window,
            variations=call.variations,
        )
        return await run_job(job, call=call, ctx=ctx, svc=svc)

    return await as_tool_result(run())


@mcp.tool(
    name="openai_list_conversations",
    title="List saved image conversations",
    annotations=tool_annotations("List saved image conversations", read_only=True, destructive=False, idempotent=True, open_world=False),
    output_schema=rendering.LISTING_SCHEMA,
)
async def openai_list_conversations(limit: arg.Limit = 20, query: arg.Query = None) -> ToolResult:
    """List saved image conversations, newest first: ids, titles, pending questions, prompt scores, images and
    the last image's path. Pass an id as conversation_id to openai_conversational_image to go on.
    """
    svc = _caller()

    async def run() -> ToolResult:
        listing = await asyncio.to_thread(svc.store.list, limit, query)
        await resume_listed(listing, svc)
        return rendering.listing_result(listing, query, svc.session_cost)

    return await as_tool_result(run())


# It may finish saving an image already paid for, and cancel=true stops a render; it never starts one,
# and asking again gives the same image. Not destructive: nothing that exists is removed or changed.
GET_IMAGE_ANNOTATIONS = tool_annotations(
    "Collect, show again or cancel an image", read_only=False, destructive=False, idempotent=True, open_world=True
)


@mcp.tool(
    name="openai_get_image",
    title="Collect, show again or cancel an image",
    annotations=GET_IMAGE_ANNOTATIONS,
    output_schema=rendering.IMAGE_RESULT_SCHEMA,
)
async def openai_get_image(
    conversation_id: arg.Collect, ctx: Context, image_id: arg.Show = None, wait_seconds: arg.Wait = None, cancel: arg.Cancel = False
) -> ToolResult:
    """Collect an image still rendering when its call returned, show a saved one again, or cancel a render.

    Waits up to wait_seconds for a render in progress. Never starts a paid generation.
    """
    svc = _caller()

    async def run() -> ToolResult:
        conversation = await asyncio.to_thread(svc.store.load, storage.check_conversation_id(conversation_id))
        if cancel:
            if image_id is not None:
                raise InvalidInput("cancel=true stops the render in progress; leave image_id out (a saved image cannot be cancelled).")
            outcome = await generation.cancel(conversation, svc)
            if isinstance(outcome, generation.Cancelled):
                return rendering.cancelled_render_result(outcome)
            return rendering.generated_result(outcome, svc.session_cost)
        return await collect_or_show(conversation, image_id=image_id, wait_seconds=wait_seconds, ctx=ctx, svc=svc)

    return await as_tool_result(run())


# --- resources -------------------------------------------------------------------------


@mcp.resource(
    "conversation://{conversation_id}",
    name="conversation",
    title="Image conversation",
    description="One saved conversation as JSON: messages, images (paths, prompts, usage, cost) and dialogue state.",
    mime_type="application/json",
)
async def conversation_resource(conversation_id: str) -> ResourceResult:
    async def read() -> ResourceResult:
        conversation = await asyncio.to_thread(_caller().store.load, storage.check_conversation_id(conversation_id))
        return ResourceResult([ResourceContent(rendering.conversation_document(conversation), mime_type="application/json")])

    return await as_resource(f"conversation://{conversation_id}", read())


@mcp.resource(
    "image://{image_id}",
    name="image",
    title="Saved image",
    description="The full-quality bytes of an image this server saved, with its MIME type.",
    mime_type="image/png",
)
async def image_resource(image_id: str) -> ResourceResult:
    async def read() -> ResourceResult:
        svc = _caller()
        found = await asyncio.to_thread(svc.store.find_image, image_id)
        if found is None:
            raise NotFound(
                f"No saved image {image_id[:40]!r}; image ids look like img_0123456789abcdef. "
                "Use an image_id from a result or from the conversation:// resource."
            )
        image = await inputs.read_saved_file(found[1], f"image {image_id}", svc)
        return ResourceResult([ResourceContent(image.data, mime_type=image.mime_type)])

    return await as_resource(f"image://{image_id}", read())


gallery.register(mcp, caller=_caller)  # the ui:// view and its app-only tools (gallery.py)


mcp_prompts.register(mcp)  # prompt_templates' requests as slash commands
mcp.add_middleware(ArgumentErrorsInPlainWords())
mcp.add_middleware(tool_schemas.CompactSchemas())  # the listing in its shortest equivalent form
mcp.add_middleware(inline_previews.InlinePreviews(lambda: _caller().settings.inline_preview))  # not for ChatGPT


# --- entry point ------------------------------------------------------------------


SWITCH_INTERVAL_SECONDS = 0.001


def main(argv: list[str] | None = None) -> None:
    """Serve MCP on stdin/stdout, or with --http over Streamable HTTP."""
    options = _command_line(sys.argv[1:] if argv is None else argv)
    log_to_stderr(logging.INFO)
    # Streams are read, and images decoded and saved, in threads (openai_api._Wire, generation._land);
    # the event loop that answers calls waits this long for the interpreter lock before its holder must
    # let go. At CPython's 5 ms, a ping during eight finishing renders took 43-47 ms at p99; at 1 ms, 30-40.
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    _warn_about_settings()
    if not options.http:
        stdio_wire.serve_until_stopped(mcp)
        return
    from openai_images import http_server

    try:
        http_server.serve(mcp, services.settings, host=options.host, port=options.port, path=options.path, version=__version__)
    except ImageServerError as exc:
        sys.exit(f"openai-images-mcp: error: {redact(str(exc))}")


def _command_line(argv: list[str]):
    import argparse

    from openai_images import http_server

    parser = argparse.ArgumentParser(prog="openai_images_mcp.py", description="The openai-images MCP server (stdio unless --http).")
    http_server.add_serve_arguments(parser)
    options = parser.parse_args(argv)
    problem = http_server.serve_arguments_problem(options)
    if problem:
        parser.error(problem)
    return options


def _warn_about_settings() -> None:
    """One line on stderr at start-up when no call could make an image: found now, not after the questions."""
    try:
        settings = services.settings
    except ImageServerError as exc:
        log.warning("%s Every tool call will say so until it is fixed.", exc)
        return
    if not (settings.api_key or settings.uses_azure):
        log.warning("OPENAI_API_KEY is not set: dry runs and the listing work, making an image does not. Set it in the client's config.")


if __name__ == "__main__":
    main()
