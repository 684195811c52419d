#!/usr/bin/env bash
# Starts a private PulseAudio server with two null sinks, the test machine's sound card:
#   mic  - what is played into it is what the assistant hears (default source: mic.monitor)
#   spk  - the assistant's default output; record spk.monitor to hear what it said
# Usage: tests/audio_server.sh RUNTIME_DIR   (prints PULSE_SERVER=... on success)
set -euo pipefail
runtime_dir=${1:?usage: audio_server.sh RUNTIME_DIR}
mkdir -p "$runtime_dir"
chmod 700 "$runtime_dir"
export XDG_RUNTIME_DIR=$runtime_dir
export PULSE_RUNTIME_PATH=$runtime_dir/pulse
# No ~/.config/pulse cookie games: the socket lives in our private runtime dir.
pulseaudio -D --exit-idle-time=-1 -n --use-pid-file=yes \
  --load="module-native-protocol-unix auth-anonymous=1 socket=$runtime_dir/pulse.sock" \
  --load="module-null-sink sink_name=mic rate=16000 channels=1" \
  --load="module-null-sink sink_name=spk" \
  --log-target=file:"$runtime_dir/pulse.log" 2>>"$runtime_dir/pulse.log"
export PULSE_SERVER=unix:$runtime_dir/pulse.sock
for _ in $(seq 50); do
  pactl info >/dev/null 2>&1 && break
  sleep 0.1
done
pactl set-default-source mic.monitor
pactl set-default-sink spk
echo "PULSE_SERVER=$PULSE_SERVER"
