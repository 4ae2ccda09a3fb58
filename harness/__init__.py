"""The offline library of reisp-harness, the ground floor every other package builds on.

The challenge core (``challenge``), building challenges from bundles (``bundles``), RAW and RGB
formats, prediction validation and scoring (``npyio``, ``scoring``, ``metrics``), analysis,
simulated cameras and the demo (``sim``) and the offline commands (``cli``). It imports none of
the other packages and holds no HTTP client, database or service settings.
"""

__version__ = "0.1.0"
