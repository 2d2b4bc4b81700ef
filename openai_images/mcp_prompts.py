"""The MCP prompts: prompt_templates' ready-made requests, offered by clients as slash commands."""

from __future__ import annotations

import logging

from fastmcp import FastMCP
from fastmcp.exceptions import PromptError
from fastmcp.prompts.base import Prompt, PromptArgument

from openai_images import prompt_templates


class TemplatePrompt(Prompt):
    """One template, rendered with the caller's arguments; a wrong argument is answered in words."""

    template_name: str

    async def render(self, arguments: dict[str, object] | None = None) -> str:
        try:
            return prompt_templates.render(self.template_name, {k: None if v is None else str(v) for k, v in (arguments or {}).items()})
        except ValueError as exc:
            error = PromptError(str(exc))
            error.log_level = logging.DEBUG  # the caller's mistake, answered in words: no traceback on stderr
            raise error from None


def register(mcp: FastMCP) -> None:
    """Add every template as a prompt."""
    for template in prompt_templates.TEMPLATES:
        mcp.add_prompt(
            TemplatePrompt(
                name=template.name,
                title=template.title,
                description=template.description,
                template_name=template.name,
                arguments=[PromptArgument(name=a.name, description=a.description, required=a.required) for a in template.arguments],
            )
        )
