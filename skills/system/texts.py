"""What the system skill says, in English and Korean."""

TEXT = {
    "en": {
        "intro": "Here are some things you can say.",
        "example": "{title}: {examples}.",
        "or": " or ",
        "nothing": "No skills are enabled, so there is nothing I can do yet.",
        "nothing_said": "I haven't said anything yet.",
        "stopped": "Okay, stopped.",
        "okay": "Okay.",
        "volume_now": "Volume {level}.",
        "volume_is": "The volume is {level} out of 10.",
        "volume_max": "The volume is already at its highest.",
        "volume_min": "The volume is already at its lowest.",
        "muted": "I won't listen for {duration}. The microphone turns itself back on after that.",
        "no_question": "I didn't ask you anything.",
    },
    "ko": {
        "intro": "이렇게 말해 보세요.",
        "example": "{title}: {examples}.",
        "or": " 또는 ",
        "nothing": "켜져 있는 기능이 없어요.",
        "nothing_said": "아직 아무 말도 하지 않았어요.",
        "stopped": "알겠어요, 멈췄어요.",
        "okay": "알겠어요.",
        "volume_now": "볼륨 {level}.",
        "volume_is": "볼륨은 10 중에 {level}이에요.",
        "volume_max": "볼륨이 이미 가장 커요.",
        "volume_min": "볼륨이 이미 가장 작아요.",
        "muted": "{duration} 동안 듣지 않을게요. 그 다음에는 마이크가 다시 켜져요.",
        "no_question": "아무것도 여쭤보지 않았어요.",
    },
}

SKILL_TITLES = {
    "en": {
        "clock": "Time and date",
        "timers": "Timers",
        "alarms": "Alarms",
        "privacy": "Privacy",
        "system": "Volume and microphone",
        "arithmetic": "Calculations and conversions",
        "commands": "Your own commands",
    },
    "ko": {
        "clock": "시간과 날짜",
        "timers": "타이머",
        "alarms": "알람",
        "privacy": "개인 정보",
        "system": "볼륨과 마이크",
        "arithmetic": "계산과 단위 변환",
        "commands": "직접 만든 명령",
    },
}
