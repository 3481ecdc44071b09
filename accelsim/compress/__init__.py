"""Deep Compression (Han et al., ICLR 2016) as a workflow: pruning, weight sharing and Huffman
coding of a network's weights, giving model size, compression ratio and DRAM weight traffic
(priced by :mod:`accelsim.compress.dram`). See docs/compression.md.
"""

from accelsim.compress.huffman import code_lengths, coded_bits, entropy_bits
from accelsim.compress.model import LayerCompression, LayerPlan, compress_layer
from accelsim.compress.workflow import CompressionReport, deep_compress, plans_for

__all__ = [
    "CompressionReport",
    "LayerCompression",
    "LayerPlan",
    "code_lengths",
    "coded_bits",
    "compress_layer",
    "deep_compress",
    "entropy_bits",
    "plans_for",
]
