"""Creating a VM: one pure domain (config, defaults, rules, plan) behind three front-ends."""
