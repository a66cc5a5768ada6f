"""pvectl's code generator: PVE apidata.js -> normalised schema -> IR -> SDK, CLI and completion sources."""

GENERATOR_VERSION = "1"
TARGET_VERSION = "9.1.3"
