"""Wyoming, Home Assistant's voice protocol, as an adapter at the edge of the assistant.

- `server`: this assistant's stages (wake word, recognition, intents and skills, speech)
  as Wyoming services on one TCP port (`assistant serve`).
- `remote`: a small speaker in another room that runs only the microphone, the wake word
  and the speaker, and lets the main assistant do the rest (`assistant satellite` with
  `wyoming.remote` set).
- `satellite`: this speaker as a Wyoming satellite that Home Assistant can add
  (`assistant satellite` without `wyoming.remote`).
- `host`: the one module that touches the assistant itself; `framing`: the guarded
  reading of events and the allow-list.

Wyoming has no authentication and no encryption: everything here is off unless the
owner turns it on, binds to loopback unless told otherwise, and admits only the peers
the owner listed.
"""
