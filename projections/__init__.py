"""Read models and what keeps them exact."""
