"""Ideal Factory OMS (vendor doc: oms-api-v1.txt): a print house we send orders to, whose print
files we poll, whose catalogue we manage and whose items we batch."""
