"""Models made elsewhere: reading GGUF files and Hugging Face folders."""
