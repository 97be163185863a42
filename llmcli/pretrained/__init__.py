"""Pretrained models from elsewhere (GGUF files, Hugging Face folders) as llmcli models, and back."""
