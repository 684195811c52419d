"""`assistant run` (the voice loop, from the microphone or a recording) and `assistant ask`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from assistant import config as config_module
from assistant.cli.common import print_json

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser(
        "run",
        help="listen for the wake word and answer commands",
        description="Listen on the microphone (or process a recording) and answer commands. "
        "Stops cleanly on Ctrl-C or SIGTERM.",
    )
    run.add_argument(
        "--input", metavar="WAV", help="process this recording instead of the microphone"
    )
    run.add_argument(
        "--output", metavar="WAV", help="write every spoken reply, in order, to this WAV file"
    )
    run.add_argument(
        "--json", action="store_true", help="print one JSON object per interaction on stdout"
    )
    run.set_defaults(handler=run_command)

    ask = subparsers.add_parser(
        "ask",
        help="send typed text through the skills and print the reply",
        description="Test skills without speaking: the text goes through the same dispatcher "
        "as speech, and is logged in the journal as a typed command.",
    )
    ask.add_argument("text", help='what you would say, e.g. "what time is it"')
    ask.add_argument("--json", action="store_true", help="print the interaction as JSON")
    ask.add_argument("--speak", action="store_true", help="also speak the reply on the speaker")
    ask.add_argument(
        "--answer",
        action="append",
        metavar="TEXT",
        help="the answer to give if the reply is a question (repeat for several); "
        "on a terminal you are asked instead",
    )
    ask.set_defaults(handler=ask_command)


def open_journal(config):
    from assistant.journal import Journal

    return Journal.open(config)


def build_assistant(config, on_interaction=None):
    from assistant.pipeline import Assistant

    journal = open_journal(config)
    return Assistant(config, journal=journal, on_interaction=on_interaction)


def print_interaction(interaction, as_json: bool) -> None:
    if as_json:
        print_json(interaction.to_json_dict())
    elif interaction.reply:
        print(interaction.reply, flush=True)


def run_command(args: argparse.Namespace) -> int:
    on_interaction = lambda i: print_interaction(i, args.json)  # noqa: E731
    if not args.input:
        return serve_microphone(args, on_interaction)
    return run_recording(args, on_interaction)


def serve_microphone(args: argparse.Namespace, on_interaction) -> int:
    from assistant.audio import MicrophoneSource, SpeakerSink
    from assistant.cli.common import UsageError
    from assistant.service import Service

    if args.output:
        raise UsageError(
            "--output goes with --input: replies to the microphone play on the speaker"
        )

    def make_audio(config):
        return MicrophoneSource(config.audio.input_device), SpeakerSink(config.audio.output_device)

    service = Service(args.config, lambda c: build_assistant(c, on_interaction), make_audio)
    service.install_signal_handlers()
    service.serve()
    return 0


def run_recording(args: argparse.Namespace, on_interaction) -> int:
    from assistant.audio import SpeakerSink, WavFileSink, WavFileSource

    config = config_module.load(args.config)
    assistant = build_assistant(config, on_interaction)
    try:
        source = WavFileSource(args.input)
        sink = WavFileSink(args.output) if args.output else SpeakerSink(config.audio.output_device)
    except BaseException:
        assistant.close()
        raise
    _stop_on_signals(assistant)
    try:
        assistant.prepare_audio()
        assistant.run(source, sink)
    finally:
        source.close()
        sink.close()
        assistant.close()
    return 0


def _stop_on_signals(assistant) -> None:
    def stop(signum, frame):
        log.info("stopping on signal %d", signum)
        assistant.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _answers(args: argparse.Namespace):
    """Answers to a skill's questions: from --answer in order, else asked on the terminal."""
    given = list(args.answer or [])

    def answer(question: str) -> str:
        if given:
            return given.pop(0)
        if sys.stdin.isatty():
            return input(f"{question}\n> ")
        return ""

    return answer


def ask_command(args: argparse.Namespace) -> int:
    config = config_module.load(args.config)
    assistant = build_assistant(config)
    try:
        interaction, reply = assistant.ask(args.text, answer=_answers(args))
        print_interaction(interaction, args.json)
        if args.speak:
            from assistant.audio import SpeakerSink

            assistant.sink = SpeakerSink(config.audio.output_device)
            assistant.speak(reply)
            assistant.sink.close()
    finally:
        assistant.close()
    return 0 if interaction.outcome in ("handled",) else 1
