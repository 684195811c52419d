"""The benchmarks run end to end at their smallest size, so they cannot rot.

Checks the shape of what they write (every benchmark, every figure with a value and a
unit, the machine, the markdown table), never the timings: this machine is shared.
"""

import json
import subprocess
import sys

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow  # starts processes or plays real audio

BENCHMARKS = ["wake_cpu", "wake_accuracy", "idle", "recognition", "latency", "journal", "web"]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("bench-results")
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "smoke", "--results-dir", str(results)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    [json_file] = results.glob("*.json")
    return json.loads(json_file.read_text(encoding="utf-8")), result.stdout, results


def test_every_benchmark_reports_figures_with_values_and_units(smoke_run):
    data, _, _ = smoke_run
    sections = {s["name"]: s for s in data["sections"]}
    assert list(sections) == BENCHMARKS
    for name, section in sections.items():
        assert section["rows"], f"{name} reported nothing: {section['notes']}"
        for row in section["rows"]:
            assert isinstance(row["value"], (int, float)), (name, row)
            assert row["unit"], (name, row)
            if row["baseline"]:
                assert row["baseline"] > 0 and row["ratio"] == pytest.approx(
                    row["value"] / row["baseline"]
                )
            elif row["baseline"] is not None:  # a count that was 0 before: no ratio
                assert row["baseline"] == 0 and row["ratio"] is None, (name, row)


def test_figures_the_product_goals_are_judged_on_are_present(smoke_run):
    data, _, _ = smoke_run
    measures = {(s["name"], r["measure"]) for s in data["sections"] for r in s["rows"]}
    for expected in [
        ("wake_cpu", "WakeDetector.process"),
        ("wake_accuracy", "positive clips detected"),
        ("wake_accuracy", "false wakes per hour of talk"),
        ("idle", "idle CPU, % of one core"),
        ("idle", "peak resident memory (VmHWM)"),
        ("recognition", "commands right (intent and slots)"),
        ("recognition", "exact transcripts"),
        ("latency", "total after the endpoint, to the reply's first sample"),
        ("journal", "Journal.record (one interaction)"),
        ("journal", "assistant log list (50 newest)"),
        ("journal", "heavy libraries imported by assistant log list"),
    ]:
        assert expected in measures, expected
    goals = [r for s in data["sections"] for r in s["rows"] if r["goal"]]
    assert all(isinstance(r["met"], bool) for r in goals)


def test_the_owner_log_commands_load_no_audio_or_model_library(smoke_run):
    data, _, _ = smoke_run
    [journal] = [s for s in data["sections"] if s["name"] == "journal"]
    imports = journal["details"]["log_list_imports"]
    assert "assistant.cli.log" in imports
    assert not {"numpy", "vosk", "openwakeword", "sounddevice", "pyttsx3"} & {
        m.split(".")[0] for m in imports
    }


def test_the_run_names_its_machine_and_writes_the_markdown_table(smoke_run):
    data, stdout, results = smoke_run
    machine = data["machine"]
    assert machine["nproc"] >= 1 and machine["memory_gib"] > 0 and machine["python"].count(".") == 2
    latest = (results / "latest.md").read_text(encoding="utf-8")
    assert latest.strip() == stdout.strip()
    assert "| measure | case | value | baseline | ratio | goal |" in latest
    assert "English" in latest  # says whether English was measured


def test_an_unknown_benchmark_name_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "nonsense"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 2 and "unknown benchmark nonsense" in result.stderr
