"""Lathe's LoRA trainer: Llama-family decoders and PEFT-format adapters on plain PyTorch."""
