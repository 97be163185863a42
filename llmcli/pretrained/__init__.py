"""Pretrained models from elsewhere (Hugging Face checkpoints, GGUF files) as llmcli models."""
