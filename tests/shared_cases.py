"""Reference numbers and Hypothesis strategies that several test modules use (one copy each)."""

from __future__ import annotations

from hypothesis import strategies as st

import accelsim

# Exact MAC counts per image, AlexNet with grouped CONV2/4/5: the Eyeriss papers' network, as
# quoted in the project's reference notes (shared/reference/README.md, "Exact MAC counts").
ALEXNET_MACS = {
    "CONV1": 105_415_200,
    "CONV2": 223_948_800,
    "CONV3": 149_520_384,
    "CONV4": 112_140_288,
    "CONV5": 74_760_192,
    "FC1": 37_748_736,
    "FC2": 16_777_216,
    "FC3": 4_096_000,
}


def small_conv_layers(max_stride: int) -> st.SearchStrategy[accelsim.Layer]:
    """Small convolutions (1-8 filters, 1-6 channels, 3-9 pixels square, 1x1 or 3x3 kernels,
    stride 1 to ``max_stride``) that a tiny architecture can map."""
    return st.builds(
        lambda m, c, size, kernel, stride: accelsim.make_layer(
            "x",
            "conv",
            in_channels=c,
            out_channels=m,
            input_size=size,
            kernel_size=kernel,
            stride=stride,
        ),
        m=st.integers(1, 8),
        c=st.integers(1, 6),
        size=st.integers(3, 9),
        kernel=st.sampled_from([1, 3]),
        stride=st.integers(1, max_stride),
    )
