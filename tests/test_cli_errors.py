"""Bad input gets one clear line and a non-zero exit, never a traceback."""

import pytest
from conftest import run_cli, write_config

pytestmark = pytest.mark.slow  # starts processes or plays real audio


def assert_clean_failure(result, *expected: str, code: int | None = None):
    assert result.returncode != 0
    if code is not None:
        assert result.returncode == code
    assert "Traceback" not in result.stderr + result.stdout
    for text in expected:
        assert text in result.stderr, result.stderr


def test_missing_recording(tmp_path, ko_config):
    result = run_cli("--config", str(ko_config), "run", "--input", str(tmp_path / "nope.wav"))
    assert_clean_failure(result, "nope.wav", "no such file")


def test_recording_that_is_not_a_wav(tmp_path, ko_config):
    bogus = tmp_path / "notes.wav"
    bogus.write_text("shopping list: milk")
    assert_clean_failure(
        run_cli("--config", str(ko_config), "run", "--input", str(bogus)), "not a PCM WAV"
    )


def test_unreadable_recording(tmp_path, ko_config):
    import os

    if os.geteuid() == 0:
        # root reads any file; a directory named like a WAV is unreadable as audio for everyone
        unreadable = tmp_path / "dir.wav"
        unreadable.mkdir()
    else:
        unreadable = tmp_path / "locked.wav"
        unreadable.write_bytes(b"RIFF")
        unreadable.chmod(0)
    assert_clean_failure(
        run_cli("--config", str(ko_config), "run", "--input", str(unreadable)), str(unreadable)
    )


def test_output_in_a_missing_directory(tmp_path, ko_config):
    result = run_cli(
        "--config",
        str(ko_config),
        "run",
        "--input",
        "x.wav",
        "--output",
        str(tmp_path / "no" / "r.wav"),
    )
    assert_clean_failure(result)


@pytest.mark.parametrize(
    "text,message",
    [
        ("language: [ko\n", "not valid YAML at line"),
        ("colour: blue\n", "colour: unknown key"),
        ("wake:\n  threshold: high\n", "wake.threshold: expected a number"),
        ("wake:\n  threshold: 1.5\n", "wake.threshold: must be between 0 and 1"),
        ("journal:\n  keep_audio: 1\n", "journal.keep_audio: expected true/false"),
        ("language: fr\n", "'fr' is not supported"),
        ("stt:\n  mode: magic\n", "stt.mode: must be one of grammar, free, auto"),
        ("skills:\n  weather: {}\n", "skills.weather: no such skill"),
        ("skills:\n  clock:\n    colour: red\n", "skills.clock.colour: unknown key"),
    ],
)
def test_invalid_configuration_names_the_key(tmp_path, text, message):
    config = write_config(tmp_path / "bad.yaml", text)
    for command in (["config", "check"], ["run", "--input", "x.wav"], ["ask", "what time is it"]):
        assert_clean_failure(run_cli("--config", str(config), *command), message, code=2)


def test_missing_configuration_file(tmp_path):
    assert_clean_failure(
        run_cli("--config", str(tmp_path / "none.yaml"), "config", "check"), "not found", code=2
    )


def test_environment_variable_names_the_configuration(tmp_path):
    config = write_config(tmp_path / "env.yaml", "colour: blue\n")
    result = run_cli("config", "check", env={"ASSISTANT_CONFIG": str(config)})
    assert_clean_failure(result, "colour: unknown key", code=2)


def test_missing_speech_model_names_the_install_command(tmp_path, say):
    from conftest import write_wav

    clip = write_wav(tmp_path / "in.wav", say("hey jarvis"))
    config = write_config(tmp_path / "en.yaml", f"language: en\ndata_dir: {tmp_path / 'data'}\n")
    result = run_cli("--config", str(config), "run", "--input", str(clip))
    assert_clean_failure(result, "assistant models install en-us-small", code=2)


def test_model_path_that_does_not_exist(tmp_path, say):
    from conftest import write_wav

    clip = write_wav(tmp_path / "in.wav", say("hey jarvis"))
    config = write_config(
        tmp_path / "ko.yaml",
        f"language: ko\ndata_dir: {tmp_path / 'd'}\nstt:\n  model: {tmp_path / 'missing'}\n",
    )
    result = run_cli("--config", str(config), "run", "--input", str(clip))
    assert_clean_failure(result, "missing", code=2)


def test_valid_default_configuration_checks(tmp_path):
    result = run_cli("--config", "config/assistant.yaml", "config", "check")
    assert result.returncode == 0 and "configuration is valid" in result.stdout


def test_every_command_has_help():
    from assistant.cli.main import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, sub in commands.items():
        assert sub.description or sub.format_help(), name
        assert run_cli(name, "--help").returncode == 0


# --- the one error path ---------------------------------------------------------------

BROKEN_SKILL = """
from assistant.skillkit import Reply, Skill


class Broken(Skill):
    @classmethod
    def extra_sentences(cls, settings, language):
        raise RuntimeError("a mistake in the owner's own skill")

    def handle(self, request):
        return Reply("never")


SKILL = Broken
"""


@pytest.mark.slow
def test_an_unexpected_error_is_one_line_naming_its_type(tmp_path):
    skill = tmp_path / "owner-skills" / "broken"
    skill.mkdir(parents=True)
    (skill / "__init__.py").write_text(BROKEN_SKILL)
    config = write_config(
        tmp_path / "a.yaml",
        f"data_dir: {tmp_path / 'data'}\nskills:\n  directories: [{skill.parent}]\n",
    )
    result = run_cli("--config", str(config), "ask", "what time is it")
    assert_clean_failure(result, code=1)
    assert result.stderr == (
        "assistant: error: unexpected RuntimeError; run the same command with --debug for details\n"
    )
    assert "owner's own skill" not in result.stderr  # messages may quote what was said

    debug = run_cli("--debug", "--config", str(config), "ask", "what time is it")
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr and "a mistake in the owner's own skill" in debug.stderr


@pytest.mark.slow
def test_a_system_error_names_the_file(tmp_path):
    (tmp_path / "data").write_text("a file where the data folder should be")
    config = write_config(tmp_path / "a.yaml", f"data_dir: {tmp_path / 'data'}\n")
    result = run_cli("--config", str(config), "ask", "what time is it")
    assert_clean_failure(result, str(tmp_path / "data"))
    assert result.stderr.splitlines()[-1].startswith("assistant: error: ")
    assert len(result.stderr.splitlines()) <= 2  # the error, and at most the journal's warning


@pytest.mark.slow
@pytest.mark.parametrize(
    "args,message",
    [
        (["run", "--input", ""], "argument --input: an empty value is not allowed"),
        (["--config", "", "config", "check"], "argument --config: an empty value is not allowed"),
        (["log", "list", "--limit", "many"], "argument --limit: 'many' is not a whole number"),
        (["models", "install"], "the following arguments are required: name"),
    ],
)
def test_command_line_mistakes_are_one_line(tmp_path, args, message):
    result = run_cli(*args, env={"XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})
    assert_clean_failure(result, message, code=2)
    assert len(result.stderr.splitlines()) == 1, result.stderr


@pytest.mark.slow
def test_a_closed_pipe_is_not_an_error(tmp_path):
    import subprocess

    from conftest import ASSISTANT, REPO

    process = subprocess.Popen(
        [*ASSISTANT, "skills", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env={**__import__("os").environ, "XDG_DATA_HOME": str(tmp_path)},
    )
    process.stdout.close()  # the reader went away before the first line
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert stderr == ""
