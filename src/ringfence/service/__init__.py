"""Application service: load → decide → append → evolve → acknowledge."""
