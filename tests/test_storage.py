"""Conversation files: ids, atomic writes, corrupt files, listing and search."""

from __future__ import annotations

import json
import os
import threading

import pytest

from openai_images import storage
from openai_images.errors import InvalidInput, StorageError


def _image(n: int = 1) -> storage.ImageRecord:
    return storage.ImageRecord(
        image_id=storage.new_image_id(),
        path=f"/tmp/img{n}.png",
        response_id=f"resp_{n}",
        image_call_id=f"ig_{n}",
        prompt=f"prompt {n}",
        size="1024x1024",
        model="gpt-image-2",
    )


@pytest.fixture
def store(tmp_path):
    return storage.ConversationStore(tmp_path / "data" / "conversations")


def _new(store, prompt="A red fox in snow", **fields) -> storage.Conversation:
    conversation = storage.Conversation(id=storage.new_conversation_id(), title=storage.make_title(prompt), **fields)
    conversation.messages.append(storage.Message(role="user", text=prompt))
    store.save(conversation)
    return conversation


@pytest.mark.parametrize(
    "bad",
    [
        "../x",
        "..\\x",
        "/etc/passwd",
        "",
        "conv_XYZ",
        "conv_0123456789abcdeF",
        "conv_0123456789abcdef\x00",
        "conv_0123456789abcdef/../../x",
        "c" * 5000,
    ],
)
def test_invalid_conversation_ids_are_refused_without_touching_files(store, tmp_path, bad):
    with pytest.raises(InvalidInput, match="conv_0123456789abcdef"):
        store.load(bad)
    assert not (tmp_path / "data").exists()


def test_new_ids_are_valid_and_unique():
    ids = {storage.new_conversation_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(storage.CONVERSATION_ID.fullmatch(i) for i in ids)


def test_save_then_load_round_trips_every_field(store):
    conversation = _new(store, dialogue_mode="quick", assistant_model="gpt-5.5")
    conversation.images.append(_image())
    conversation.last_response_id = "resp_1"
    store.save(conversation)

    loaded = store.load(conversation.id)
    assert loaded == conversation
    on_disk = json.loads(store.path_for(conversation.id).read_text())
    assert on_disk["schema_version"] == storage.SCHEMA_VERSION
    assert on_disk["images"][0]["response_id"] == "resp_1"
    assert on_disk["messages"][0] == {"role": "user", "text": "A red fox in snow", "time": on_disk["messages"][0]["time"]}


def test_save_leaves_no_temporary_files(store):
    conversation = _new(store)
    for n in range(5):
        conversation.title = f"t{n}"
        store.save(conversation)
    assert sorted(p.name for p in store.folder.iterdir()) == [f"{conversation.id}.json"]


def test_failed_write_keeps_the_previous_version(store, monkeypatch):
    conversation = _new(store)
    before = store.path_for(conversation.id).read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    conversation.title = "changed"
    with pytest.raises(StorageError, match="No space left"):
        store.save(conversation)
    assert store.path_for(conversation.id).read_bytes() == before
    assert [p.name for p in store.folder.iterdir()] == [f"{conversation.id}.json"]


def test_loading_a_missing_conversation_says_how_to_find_one(store):
    with pytest.raises(InvalidInput, match="openai_list_conversations"):
        store.load("conv_0123456789abcdef")


def test_corrupt_file_is_reported_and_never_overwritten(store):
    good = _new(store)
    bad_path = store.folder / "conv_00000000000000aa.json"
    bad_path.write_text("{ not json")
    with pytest.raises(StorageError, match="damaged"):
        store.load("conv_00000000000000aa")
    listing = store.list()
    assert [c.id for c in listing.conversations] == [good.id]
    assert listing.unreadable == 1
    assert bad_path.read_text() == "{ not json"


def test_listing_is_newest_first_and_limited(store):
    made = []
    for n in range(5):
        conversation = _new(store, prompt=f"picture number {n}")
        conversation.updated_at = f"2026-11-2{n}T00:00:00+00:00"
        store.save(conversation)
        made.append(conversation.id)
    listing = store.list(limit=3)
    assert [c.id for c in listing.conversations] == made[::-1][:3]
    assert listing.total_matching == 5
    assert listing.folder == str(store.folder)


def test_query_matches_titles_and_later_prompts_case_insensitively(store):
    fox = _new(store, prompt="A red fox in snow")
    owl = _new(store, prompt="An owl at night")
    store.add_turn(owl.id, prompt="Make the MOON bigger", image=_image(), assistant_text="Done")
    assert [c.id for c in store.list(query="FOX").conversations] == [fox.id]
    assert [c.id for c in store.list(query="moon").conversations] == [owl.id]
    assert store.list(query="giraffe").conversations == []


def test_add_turn_records_image_messages_and_last_response(store):
    conversation = _new(store)
    image = _image(7)
    store.add_turn(conversation.id, prompt="make it blue", image=image, assistant_text="Here it is")
    loaded = store.load(conversation.id)
    assert loaded.images == [image]
    assert loaded.last_response_id == "resp_7"
    assert [(m.role, m.text) for m in loaded.messages][-2:] == [("user", "make it blue"), ("assistant", "Here it is")]
    summary = store.list().conversations[0]
    assert (summary.image_count, summary.last_image_path) == (1, "/tmp/img7.png")


def test_concurrent_turns_on_one_conversation_all_land(store):
    conversation = _new(store)
    images = [_image(n) for n in range(12)]
    threads = [
        threading.Thread(target=store.add_turn, args=(conversation.id,), kwargs={"prompt": "p", "image": image, "assistant_text": None})
        for image in images
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {i.image_id for i in store.load(conversation.id).images} == {i.image_id for i in images}


def test_find_image_by_id(store):
    conversation = _new(store)
    image = _image()
    store.add_turn(conversation.id, prompt="p", image=image, assistant_text=None)
    found = store.find_image(image.image_id)
    assert found is not None and found[0].id == conversation.id and found[1] == image
    assert store.find_image("img_0000000000000000") is None
    assert store.find_image("../../etc/passwd") is None


def test_titles_are_one_line_and_short():
    assert storage.make_title("  A fox\n in   snow ") == "A fox in snow"
    long_title = storage.make_title("word " * 100)
    assert len(long_title) <= storage.TITLE_LENGTH + 1 and long_title.endswith("…")


def test_dialogue_state_round_trips_and_shows_in_the_listing(store):
    from openai_images import dialogue

    state = dialogue.start("Create a logo for my coffee shop", "guided")
    conversation = _new(store, dialogue=dialogue.stored(state), score_before=state.score_before, image_type=state.image_type.value)
    loaded = store.load(conversation.id)
    assert dialogue.restore(loaded.dialogue) == state and loaded.question_pending
    summary = store.list().conversations[0]
    assert (summary.question_pending, summary.score_before, summary.score_after) == (True, state.score_before, None)

    answered = dialogue.answer(state, "generate now")
    store.update(conversation.id, lambda c: setattr(c, "dialogue", dialogue.stored(answered)))
    assert not store.load(conversation.id).question_pending


def test_newest_first_reads_only_the_newest_files(store):
    import os

    made = []
    for n in range(30):
        conversation = _new(store, prompt=f"picture {n}")
        conversation.updated_at = f"2026-01-01T00:00:{n:02d}+00:00"
        store.save(conversation)
        os.utime(store.path_for(conversation.id), (1_700_000_000 + n, 1_700_000_000 + n))
        made.append(conversation.id)
    old_corrupt = store.folder / "conv_00000000000000ff.json"
    old_corrupt.write_text("{ damaged")
    os.utime(old_corrupt, (1_600_000_000, 1_600_000_000))
    listing = store.list(limit=5)
    assert [c.id for c in listing.conversations] == made[::-1][:5]
    assert listing.unreadable == 0, "the old damaged file is not even read for the newest five"
    assert store.list(limit=100).unreadable == 1


def test_search_matches_non_ascii_and_quotes(store):
    cafe = _new(store, prompt='Un café "Le Fox" à Paris')
    _new(store, prompt="A dog")
    assert [c.id for c in store.list(query="CAFÉ").conversations] == [cafe.id]
    assert [c.id for c in store.list(query='"le fox"').conversations] == [cafe.id]


def test_a_version_1_file_loads_with_its_analysis_and_is_saved_as_version_2(store):
    from openai_images import dialogue

    conversation_id = storage.new_conversation_id()
    store.folder.mkdir(parents=True)
    version_1 = {
        "schema_version": 1,
        "id": conversation_id,
        "title": "A logo",
        "image_type": "logo",
        "score_before": 12,
        "score_after": 71,
        "dialogue": {
            "schema_version": 1,
            "mode": "quick",
            "image_type": "logo",
            "original_prompt": "A logo",
            "image_model": "gpt-image-2",
            "plan": [],
            "asked": [],
            "answers": {},
            "pending": None,
            "status": "ready",
            "score_before": 12,
        },
    }
    store.path_for(conversation_id).write_text(json.dumps(version_1))
    loaded = store.load(conversation_id)
    assert loaded.analysis == storage.PromptAnalysis(image_type="logo", score_before=12, score_after=71)
    assert dialogue.restore(loaded.dialogue).status == dialogue.DialogueStatus.READY  # its old image_model key is ignored
    summary = store.list().conversations[0]
    assert (summary.score_before, summary.score_after) == (12, 71)
    store.update(conversation_id, lambda c: None)
    saved = json.loads(store.path_for(conversation_id).read_text())
    assert saved["schema_version"] == 2 and saved["analysis"]["image_type"] == "logo" and "image_type" not in saved


def _pending(response_id: str = "resp_7") -> storage.PendingRender:
    return storage.PendingRender(
        response_id=response_id,
        file_stem="openai_image_20261201_101010_0123abcd",
        prompt="Blue",
        user_message="Blue",
        size="1024x1024",
        assistant_model="gpt-6-astra",
    )


def test_a_render_is_written_down_then_recorded_once_however_often_it_is_collected(store):
    conversation = storage.new_conversation("A fox")
    store.begin_render(conversation, _pending(), is_new=True)
    assert store.load(conversation.id).pending_render.response_id == "resp_7"
    assert store.list().conversations[0].rendering_since == store.load(conversation.id).pending_render.started_at

    _first, record, recorded = store.finish_render(conversation.id, "resp_7", prompt="Blue", image=_image(7), assistant_text=None)
    _again, same, recorded_again = store.finish_render(conversation.id, "resp_7", prompt="Blue", image=_image(7), assistant_text=None)
    assert (recorded, recorded_again) == (True, False) and same.image_id == record.image_id
    loaded = store.load(conversation.id)
    assert loaded.pending_render is None and len(loaded.images) == 1 and loaded.last_response_id == "resp_7"
    assert [m.text for m in loaded.messages] == ["Blue"]
    assert store.list().conversations[0].rendering_since is None


def test_a_render_that_ended_is_kept_with_its_reason_unless_its_image_landed(store):
    conversation = _new(store)
    store.begin_render(conversation, _pending("resp_8"), is_new=False)
    ended = store.end_render(conversation.id, "resp_8", status="failed", message="It broke")
    assert ended.pending_render is None and ended.last_ended_render.message == "It broke"
    store.begin_render(conversation, _pending("resp_9"), is_new=False)
    store.finish_render(conversation.id, "resp_9", prompt=None, image=_image(9), assistant_text=None)
    unchanged = store.end_render(conversation.id, "resp_9", status="cancelled", message="too late")
    assert len(unchanged.ended_renders) == 1 and unchanged.last_ended_render is None, "the image came after the failure"
    assert storage.MAX_ENDED_RENDERS == 20
