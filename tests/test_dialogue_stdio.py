"""End to end: the pre-generation dialogue over stdio, in plain text and through MCP elicitation."""

from __future__ import annotations

import re

import pytest
from conftest import result_text, stdio_client
from fastmcp.client.elicitation import ElicitResult

pytestmark = pytest.mark.integration

TOOL = "openai_conversational_image"


def _sent_prompt(request: dict) -> str:
    if isinstance(request["input"], str):
        return request["input"]
    return " ".join(part["text"] for part in request["input"][0]["content"] if part["type"] == "input_text")


async def _ask(client, args: dict):
    result = await client.call_tool(TOOL, args, raise_on_error=False)
    assert not result.is_error, result_text(result)
    return result


async def _drive(client, first: dict, reply) -> tuple[list[dict], object]:
    """Answer every question with reply(question) until the image is made; returns the questions asked and the result."""
    result = await _ask(client, first)
    questions = []
    while result.structured_content["status"] == "question":
        question = result.structured_content["question"]
        assert question["number"] == len(questions) + 1
        questions.append(question)
        assert len(questions) <= 8, "the dialogue must end"
        result = await _ask(client, {"prompt": reply(question), "conversation_id": result.structured_content["conversation_id"]})
    return questions, result


async def test_coffee_shop_logo_in_guided_mode(server_env, fake_openai):
    free_text = iter(
        ["Cozy, artisanal, locally roasted beans", "Minimalist and warm", "Earth tones, browns and creams", "Roastery Row", "On paper cups"]
    )
    given: list[str] = []

    def reply(question):
        if question["key"] == "file":
            return "2"  # a picture (PNG); the test below takes the vector file
        if question["number"] == 2:
            given.append(question["options"][1])
            return "2"  # by option number
        answer = next(free_text)
        given.append(answer)
        return answer

    async with stdio_client(server_env) as client:
        first = await _ask(client, {"prompt": "Create a logo for my coffee shop"})
        text = result_text(first)
        assert first.structured_content["status"] == "question"
        assert first.structured_content["image_type"] == "logo"
        assert "Detected image type: logo" in text and "Question 1 of" in text
        assert f'conversation_id="{first.structured_content["conversation_id"]}"' in text
        assert "1. " in text and "2. " in text, "the options are listed"
        assert fake_openai.response_requests() == [], "nothing is sent before the last answer"

        conversation_id = first.structured_content["conversation_id"]
        questions = [first.structured_content["question"]]
        result = await _ask(client, {"prompt": reply(questions[0]), "conversation_id": conversation_id})
        while result.structured_content["status"] == "question":
            assert fake_openai.response_requests() == []
            questions.append(result.structured_content["question"])
            result = await _ask(client, {"prompt": reply(questions[-1]), "conversation_id": conversation_id})

        assert 3 <= len(questions) <= 6 and questions[-1]["key"] == "file", "five at most, then which file"
        assert len({q["key"] for q in questions}) == len(questions), "no question is asked twice"
        assert len(fake_openai.response_requests()) == 1
        sent = _sent_prompt(fake_openai.response_requests()[0])
        assert sent.startswith("Create a logo for my coffee shop")
        for answer in given:
            assert answer.lower() in sent.lower(), (answer, sent)

        data = result.structured_content
        assert data["status"] == "generated" and data["final_prompt"] == sent
        assert data["score_after"] > data["score_before"]
        match = re.search(r"Prompt quality: (\d+)/100 -> (\d+)/100", result_text(result))
        assert match and int(match.group(2)) > int(match.group(1))
        assert f"Final prompt: {sent}" in result_text(result)
        assert "Size chosen:" in result_text(result)

        # A later call is a refinement: the dialogue's additions are not sent again.
        refined = await _ask(client, {"prompt": "Make the cup steam", "conversation_id": conversation_id})
        assert refined.structured_content["status"] == "generated"
        last = fake_openai.response_requests()[-1]
        assert last["input"] == "Make the cup steam" and last["previous_response_id"] == data["response_id"]

        listing = await client.call_tool("openai_list_conversations", {})
        entry = listing.structured_content["conversations"][0]
        assert (entry["dialogue_mode"], entry["question_pending"], entry["image_count"]) == ("guided", False, 2)
        assert (entry["score_before"], entry["score_after"]) == (data["score_before"], data["score_after"])
        assert f"prompt quality {data['score_before']}/100 -> {data['score_after']}/100" in result_text(listing)


@pytest.mark.parametrize("mode, low, high", [("quick", 1, 2), ("explorer", 6, 8)])
async def test_modes_ask_their_number_of_questions(server_env, fake_openai, mode, low, high):
    async with stdio_client(server_env) as client:
        questions, result = await _drive(client, {"prompt": "a dragon", "dialogue_mode": mode}, lambda q: "a")
    assert low <= len(questions) <= high
    assert result.structured_content["status"] == "generated"
    assert len(fake_openai.response_requests()) == 1


async def test_skip_generates_at_once_with_type_score_and_size(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        for args in (
            {"prompt": "A vertical instagram story for a bakery", "dialogue_mode": "skip"},
            {"prompt": "A slide about sales", "skip_dialogue": True},
        ):
            result = await _ask(client, args)
            assert result.structured_content["status"] == "generated"
            text = result_text(result)
            assert "Detected image type:" in text and re.search(r"Prompt quality: \d+/100", text) and "Size chosen:" in text
    story, slide = fake_openai.response_requests()
    assert story["tools"][0]["size"] == "1024x1536", "a story is portrait on a fixed-size model"
    assert slide["tools"][0]["size"] == "1536x1024", "a slide is landscape on a fixed-size model"


async def test_flexible_model_gets_an_exact_aspect_ratio_and_explicit_size_wins(server_env, fake_openai):
    env = {**server_env, "OPENAI_IMAGE_MODEL": "gpt-image-2"}
    async with stdio_client(env) as client:
        await _ask(client, {"prompt": "A slide about quarterly sales", "dialogue_mode": "skip"})
        await _ask(client, {"prompt": "A slide about quarterly sales", "dialogue_mode": "skip", "size": "1024x1024"})
        generated = await client.call_tool("openai_generate_image", {"prompt": "An instagram story for a bakery"})
    slide, explicit, story = fake_openai.response_requests()
    assert slide["tools"][0] == {"type": "image_generation", "size": "1536x864", "model": "gpt-image-2"}
    assert explicit["tools"][0]["size"] == "1024x1024"
    assert story["tools"][0]["size"] == "864x1536"
    assert "Size chosen:" in result_text(generated)


async def test_generate_now_mid_dialogue_uses_the_answers_so_far(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        first = await _ask(client, {"prompt": "a poster for a jazz night", "dialogue_mode": "explorer"})
        conversation_id = first.structured_content["conversation_id"]
        second = await _ask(client, {"prompt": "Smoky blue club atmosphere", "conversation_id": conversation_id})
        assert second.structured_content["status"] == "question"
        done = await _ask(client, {"prompt": "generate now", "conversation_id": conversation_id})
    assert done.structured_content["status"] == "generated"
    [request] = fake_openai.response_requests()
    assert "smoky blue club atmosphere" in _sent_prompt(request).lower()


async def test_cancel_ends_the_dialogue_without_generating(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        first = await _ask(client, {"prompt": "a portrait of my grandmother"})
        result = await _ask(client, {"prompt": "cancel", "conversation_id": first.structured_content["conversation_id"]})
        assert result.structured_content["status"] == "cancelled"
        assert "no image was generated" in result_text(result)
        listing = await client.call_tool("openai_list_conversations", {})
    assert fake_openai.response_requests() == []
    assert listing.structured_content["conversations"][0]["question_pending"] is False


async def test_dialogue_survives_a_server_restart(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        first = await _ask(client, {"prompt": "a product shot of a ceramic mug", "dialogue_mode": "guided"})
        conversation_id = first.structured_content["conversation_id"]
        second = await _ask(client, {"prompt": "1", "conversation_id": conversation_id})
        assert second.structured_content["question"]["number"] == 2
    async with stdio_client(server_env) as client:
        listing = await client.call_tool("openai_list_conversations", {})
        assert listing.structured_content["conversations"][0]["question_pending"] is True
        assert "a question is waiting for an answer" in result_text(listing)
        result = await _ask(client, {"prompt": "On a walnut table", "conversation_id": conversation_id})
        assert result.structured_content["question"]["number"] == 3
        while result.structured_content["status"] == "question":
            result = await _ask(client, {"prompt": "2", "conversation_id": conversation_id})
    assert result.structured_content["status"] == "generated"
    assert "on a walnut table" in _sent_prompt(fake_openai.response_requests()[-1]).lower()


class FormUser:
    """An elicitation handler that answers forms by a script: accept the first option, decline, or cancel."""

    def __init__(self, script):
        self.script = script
        self.forms: list[tuple[str, dict]] = []

    async def __call__(self, message, response_type, params, context):
        schema = params.requested_schema
        self.forms.append((message, schema))
        action = self.script(len(self.forms))
        if action == "accept":
            return {"choice": schema["properties"]["choice"]["enum"][0]}
        if action == "free":
            return {"answer": f"free answer {len(self.forms)}"}
        return ElicitResult(action=action)


@pytest.mark.parametrize("mode, mechanism", [("legacy", "elicitation request"), ("auto", "input_required round trip")])
async def test_elicitation_accept_decline_and_cancel(server_env, fake_openai, tmp_path, mode, mechanism):
    everything = FormUser(lambda n: "accept" if n % 2 else "free")
    log = tmp_path / "server.log"
    async with stdio_client(server_env, log_file=log, mode=mode, elicitation_handler=everything) as client:
        result = await _ask(client, {"prompt": "Create a logo for my coffee shop"})
    assert f"by form ({mechanism})" in log.read_text(), "each protocol era uses its own way to ask"
    assert result.structured_content["status"] == "generated"
    *asked, (file_message, _) = everything.forms
    assert 3 <= len(asked) <= 5 and "Which kind of file do you need?" in file_message, "then which file to make"
    sent = _sent_prompt(fake_openai.response_requests()[-1]).lower()
    for number, (message, schema) in enumerate(asked, 1):
        assert message.startswith(f"Question {number} of")
        expected = schema["properties"]["choice"]["enum"][0] if number % 2 else f"free answer {number}"
        assert expected.lower() in sent
    assert result.structured_content["score_after"] > result.structured_content["score_before"]

    declining = FormUser(lambda n: "accept" if n == 1 else "decline")
    async with stdio_client(server_env, mode=mode, elicitation_handler=declining) as client:
        result = await _ask(client, {"prompt": "a poster for a jazz night", "dialogue_mode": "explorer"})
    assert result.structured_content["status"] == "generated"
    assert len(declining.forms) == 2, "decline stops the questions and generates"
    assert declining.forms[0][1]["properties"]["choice"]["enum"][0].lower() in _sent_prompt(fake_openai.response_requests()[-1]).lower()

    requests_before = len(fake_openai.response_requests())
    cancelling = FormUser(lambda n: "accept" if n == 1 else "cancel")
    async with stdio_client(server_env, mode=mode, elicitation_handler=cancelling) as client:
        stopped = await _ask(client, {"prompt": "a portrait of my grandmother"})
        assert stopped.structured_content["status"] == "stopped"
        assert len(fake_openai.response_requests()) == requests_before, "cancel generates nothing"
        listing = await client.call_tool("openai_list_conversations", {})
    entry = next(e for e in listing.structured_content["conversations"] if e["id"] == stopped.structured_content["conversation_id"])
    assert entry["question_pending"] is True, "the state is kept after cancel"

    # The kept dialogue continues in plain text from a client without forms.
    async with stdio_client(server_env) as client:
        result = await _ask(client, {"prompt": "generate now", "conversation_id": entry["id"]})
    assert result.structured_content["status"] == "generated"
    assert cancelling.forms[0][1]["properties"]["choice"]["enum"][0].lower() in _sent_prompt(fake_openai.response_requests()[-1]).lower()


async def test_a_logo_dialogue_offers_a_vector_file_and_makes_an_svg_when_it_is_chosen(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        questions, made = await _drive(client, {"prompt": "Create a logo for my coffee shop"}, lambda question: "1")
        await _drive(client, {"prompt": "Create a logo for my coffee shop", "output_format": "png"}, lambda question: "1")
    file_question = questions[-1]
    assert file_question["key"] == "file" and file_question["options"][0].startswith("a vector file (SVG)")
    assert made.structured_content["format"] == "svg" and made.structured_content["path"].endswith(".svg")
    first, second = fake_openai.response_requests()
    assert first["tools"][0]["output_format"] == "svg"
    assert "SVG" not in _sent_prompt(first), "the file answer chooses the format; it is not put in the prompt"
    assert second["tools"][0]["output_format"] == "png", "a call that chose output_format is not asked"
