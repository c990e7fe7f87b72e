"""Personal codes (个人码): printable cards that let gate staff check in a visitor without a smartphone."""
