"""Access counts per level and data type: closed forms (:mod:`~accelsim.analysis.nest`), the
per-level counts of a mapping (:mod:`~accelsim.analysis.counts`) and of a systolic schedule
(:mod:`~accelsim.analysis.systolic`)."""


def clear_caches() -> None:
    """Forget the cached closed-form terms (for cold-start timing)."""
    from accelsim.analysis import nest, spread
    from accelsim.progressions import progression_size, progression_sum

    nest._coordinate_terms.cache_clear()
    nest._reshaped_terms.cache_clear()
    spread._home_terms.cache_clear()
    progression_size.cache_clear()
    progression_sum.cache_clear()
