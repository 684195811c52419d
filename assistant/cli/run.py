"""`assistant run` (the voice loop, from the microphone or a recording) and `assistant ask`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant import app
from assistant.cli.common import print_json

if TYPE_CHECKING:
    from assistant.audio import AudioSink, AudioSource
    from assistant.config import Config
    from assistant.pipeline import Assistant
    from assistant.record import Interaction
    from assistant.recorder import Watcher

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


def print_interaction(interaction: Interaction, as_json: bool) -> None:
    if as_json:
        print_json(interaction.to_json_dict())
    elif interaction.reply:
        print(interaction.reply, flush=True)


def run_command(args: argparse.Namespace) -> int:
    def watcher(interaction: Interaction) -> None:
        print_interaction(interaction, args.json)

    if not args.input:
        return serve_microphone(args, watcher)
    return run_recording(args, watcher)


def serve_microphone(args: argparse.Namespace, watcher: Watcher) -> int:
    from assistant.audio import MicrophoneSource, SpeakerSink
    from assistant.cli.common import UsageError
    from assistant.service import Service

    if args.output:
        raise UsageError(
            "--output goes with --input: replies to the microphone play on the speaker"
        )

    def make_audio(config: Config) -> tuple[AudioSource, AudioSink]:
        return MicrophoneSource(config.audio.input_device), SpeakerSink(config.audio.output_device)

    def tell(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    # Replies echo what was said ("Deleted: …", "Did you say: …?"). As a service, stdout is
    # the system journal: replies are printed only to a terminal, or when --json asks.
    shown = watcher if args.json or sys.stdout.isatty() else None
    config = app.command_config(args)
    service = Service(args.config, make_audio, config=config, watcher=shown, tell=tell)
    service.install_signal_handlers()
    service.serve()
    return 0


def run_recording(args: argparse.Namespace, watcher: Watcher) -> int:
    from assistant.audio import SpeakerSink, WavFileSink, WavFileSource

    config = app.command_config(args)
    # Nothing is opened or written before the assistant is built, so a bad configuration
    # is what gets reported, and a failed run leaves no empty --output file.
    source = WavFileSource(args.input)
    sink = WavFileSink(args.output) if args.output else SpeakerSink(config.audio.output_device)
    assistant = app.open_assistant(config, source=source, sink=sink, watcher=watcher)
    try:
        source.open()
    except BaseException:
        assistant.close()  # the sink is not closed: it would write an empty --output
        raise
    _stop_on_signals(assistant)
    try:
        assistant.prepare_audio()
        assistant.run()
    finally:
        source.close()
        sink.close()
        assistant.close()
    return 0


def _stop_on_signals(assistant: Assistant) -> None:
    def stop(signum: int, frame: object) -> None:
        log.info("stopping on signal %d", signum)
        assistant.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _answers(args: argparse.Namespace) -> Callable[[str], str]:
    """Answers to a skill's questions: from --answer in order, else asked on the terminal."""
    given = list(args.answer or [])

    def answer(question: str) -> str:
        if given:
            return given.pop(0)
        if sys.stdin.isatty():
            return input(f"{question}\n> ")
        return ""

    return answer


RINGS_LATER = ("timers", "alarms")
"""Skills whose effect happens later, on the speaker of a running assistant."""


def ask_command(args: argparse.Namespace) -> int:
    """The running assistant answers when there is one (a timer set here rings on its
    speaker); otherwise an assistant is built for this one command."""
    from assistant.control import NotRunning, ask_running

    config = app.command_config(args)
    try:
        result = ask_running(config.data_path, args.text, _answers(args), speak=args.speak)
    except NotRunning:
        pass
    else:
        _print_result(result, args.json)
        return 0 if result.get("outcome") == "handled" else 1
    interaction = _ask_here(args, config)
    if interaction.skill in RINGS_LATER and interaction.outcome == "handled":
        print(
            "note: no assistant is running; timers and alarms ring once `assistant run` "
            "(or the service) runs.",
            file=sys.stderr,
        )
    return 0 if interaction.outcome == "handled" else 1


def _print_result(result: dict, as_json: bool) -> None:
    if as_json:
        print_json(result)
    elif result.get("reply"):
        print(result["reply"], flush=True)


def _ask_here(args: argparse.Namespace, config: Config) -> Interaction:
    sink = None
    if args.speak:
        from assistant.audio import SpeakerSink

        sink = SpeakerSink(config.audio.output_device)
    try:
        assistant = app.open_assistant(config, sink=sink)
        try:
            interaction, reply = assistant.ask(args.text, answer=_answers(args))
            print_interaction(interaction, args.json)
            if args.speak:
                assistant.speak(reply)
        finally:
            assistant.close()
    finally:
        if sink is not None:
            sink.close()
    return interaction
