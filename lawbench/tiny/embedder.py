"""A tiny from-scratch sentence embedder (a 2-layer BERT with a character vocabulary) for offline tests.

It saves as a plain Hugging Face BERT folder; sentence-transformers loads it through its ordinary
code path (``SentenceTransformer(folder)`` wraps it in a Transformer module with mean pooling). Its
weights are random: the vectors exercise the dense index, they carry no meaning.

Example (about a second)::

    python -c "from lawbench.tiny.embedder import init_tiny_embedder; init_tiny_embedder('tiny-embedder')"
    lawbench rag index --corpus articles.json --out statutes --embedding-model tiny-embedder
"""

from __future__ import annotations

from pathlib import Path

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def init_tiny_embedder(out: str | Path, texts: list[str] | None = None, hidden_size: int = 32, seed: int = 0) -> Path:
    """Write a random BERT (``hidden_size`` wide, 2 layers) with one token per character of ``texts``."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from lawbench.tiny.corpus import legal_corpus

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    chars = sorted({c for text in (texts or legal_corpus(100)) for c in text if not c.isspace()})
    vocab = out / "vocab.txt"
    vocab.write_text("\n".join([*SPECIALS, *chars]) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=False, tokenize_chinese_chars=True)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(SPECIALS) + len(chars), hidden_size=hidden_size, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=hidden_size * 2, max_position_embeddings=512)
    BertModel(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
