"""Only what is LXC's: CtConfig, its rules, the create request's encoding, appliance templates."""
