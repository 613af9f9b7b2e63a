"""The golden contracts of contracts/: loading them and validating them against their official specs."""
