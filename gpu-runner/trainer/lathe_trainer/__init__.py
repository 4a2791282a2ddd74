"""Lathe's LoRA trainer: Llama-family decoders and PEFT-format adapters on plain PyTorch."""
import os

# Busy-waiting OpenMP workers stall for milliseconds per operation when the CPUs are shared with
# other processes; this must be set before torch loads its OpenMP runtime.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
