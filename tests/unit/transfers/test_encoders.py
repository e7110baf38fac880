"""transfers/encoders.py: JSON Lines and CSV records (hostile text is in security/test_hostile_data.py)."""

from __future__ import annotations

import pytest

from airflow_provider_signalwire.transfers.encoders import CSV_OTHER, CsvEncoder, JsonlEncoder, make_encoder
from airflow_provider_signalwire.transfers.log_families import LOG_FAMILIES

VOICE = LOG_FAMILIES["voice"]


def test_make_encoder_picks_the_format_and_options():
    assert isinstance(make_encoder("jsonl", VOICE), JsonlEncoder)
    csv_encoder = make_encoder("csv", VOICE, csv_formulas="raw")
    assert isinstance(csv_encoder, CsvEncoder) and csv_encoder.formulas == "raw"
    with pytest.raises(ValueError, match="formulas is 'x'"):
        CsvEncoder(VOICE, formulas="x")


def test_jsonl_sorts_keys_one_line_each():
    encoder = JsonlEncoder(VOICE)
    assert encoder.header() == b""
    assert encoder.encode({"b": 1, "a": "é"}) == '{"a":"é","b":1}\n'.encode()


def test_csv_columns_then_the_rest_as_json():
    encoder = CsvEncoder(VOICE)
    header = encoder.header().decode().strip().split(",")
    assert header[: len(VOICE.columns)] == list(VOICE.columns) and header[-1] == CSV_OTHER
    row = encoder.encode({"id": "1", "from": "=cmd", "to": "+15551234567", "extra": [1]}).decode()
    cells = row.rstrip("\n").split(",")
    assert cells[:3] == ["1", "'=cmd", "+15551234567"]
    assert row.rstrip("\n").endswith('"{""extra"":[1]}"')
    fork = encoder.fork()
    assert fork.tally is encoder.tally and fork.formulas == "escape"
    assert encoder.tally.formulas == 1
