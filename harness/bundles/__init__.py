"""Building a challenge from a bundle of files: read its description, scan and measure the pairs,
validate them, place them in the harness's layout, and check a built challenge again.

Everything here builds on the core of ``harness.challenge`` (spec, layout, grid, isp, wall); the
core never imports this package.
"""
