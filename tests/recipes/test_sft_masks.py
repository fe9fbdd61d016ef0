"""lawbench's assistant masks (prefix rendering) equal TRL's (``{% generation %}`` markers) token for token."""

from __future__ import annotations

import pytest

from lawbench.recipes.conversation import _assistant_mask, tokenize_conversations, tokenized_dataset
from lawbench.tiny.model import CHAT_TEMPLATE, MARKED_CHAT_TEMPLATE

CHATS = [
    [{"role": "system", "content": "你是一名专业的法律助手。"},
     {"role": "user", "content": "张某趁无人之机窃取他人财物，数额较大，构成什么罪？"},
     {"role": "assistant", "content": "构成盗窃罪，处三年以下有期徒刑、拘役或者管制，并处或者单处罚金。"}],
    [{"role": "user", "content": "醉酒驾驶机动车怎么处罚？"},
     {"role": "assistant", "content": "构成危险驾驶罪，处拘役，并处罚金。"},
     {"role": "user", "content": "能判缓刑吗？"},
     {"role": "assistant", "content": "情节较轻、认罪认罚的，可以依法宣告缓刑。"}],
    [{"role": "system", "content": "请以律师的身份回答。"},
     {"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1 ok"},
     {"role": "user", "content": "问二"}, {"role": "assistant", "content": "答二"},
     {"role": "user", "content": "问三"}, {"role": "assistant", "content": "答三。"}],
]


@pytest.fixture(scope="module")
def marked_tokenizer(tiny_model):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    tokenizer.chat_template = MARKED_CHAT_TEMPLATE
    return tokenizer


def test_marked_template_renders_as_the_tiny_template(marked_tokenizer):
    for chat in CHATS:
        assert (marked_tokenizer.apply_chat_template(chat, tokenize=False)
                == marked_tokenizer.apply_chat_template(chat, tokenize=False, chat_template=CHAT_TEMPLATE))


def test_masks_and_ids_equal_transformers_assistant_masks(marked_tokenizer):
    ours = tokenize_conversations(marked_tokenizer, CHATS)
    for chat, ids, mask in zip(CHATS, ours["input_ids"], ours["assistant_masks"]):
        theirs = marked_tokenizer.apply_chat_template(chat, tokenize=True, return_dict=True,
                                                      return_assistant_tokens_mask=True)
        assert ids == list(theirs["input_ids"])
        assert mask == list(theirs["assistant_masks"])
        answers = marked_tokenizer.decode([t for t, m in zip(ids, mask) if m])
        assert answers == "".join(m["content"] + "<|im_end|>\n" for m in chat if m["role"] == "assistant")


def test_processes_give_the_same_dataset_and_truncation_is_checked(marked_tokenizer):
    weights = {"weight": [1.0, 0.5, 2.0]}
    one = tokenized_dataset(marked_tokenizer, CHATS, 64, extra=weights)
    two = tokenized_dataset(marked_tokenizer, CHATS, 64, extra=weights, num_proc=2)
    assert one.to_dict() == two.to_dict() and max(len(ids) for ids in one["input_ids"]) == 64
    from lawbench.errors import DataError

    with pytest.raises(DataError, match="no answer tokens left"):
        tokenized_dataset(marked_tokenizer, CHATS, 5)


def test_mask_marks_tokens_beginning_inside_spans():
    offsets = [(0, 2), (2, 3), (3, 3), (3, 5), (5, 6), (6, 8)]
    assert _assistant_mask(offsets, [(2, 5), (6, 8)]) == [0, 1, 1, 1, 0, 1]
    assert _assistant_mask([(3, 4), (0, 2), (2, 3)], [(0, 3)]) == [0, 1, 1]  # unsorted offsets: plain scan
