"""Pretrained models from elsewhere: reading their files into llmcli's names, and fetching known ones."""
