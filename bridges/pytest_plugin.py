"""pytest plugin of bridges (placeholder until the plugin lands)."""
