"""The built-in text the fixture model's tokenizer and weights are made from: a few paragraphs in
several scripts and simple chats, so the tiny model writes ChatML replies offline."""
from __future__ import annotations

from typing import Dict, List

PARAGRAPHS = [
    "The river runs past the old mill, and the miller counts the sacks of grain every morning. "
    "When the water is high, the wheel turns faster and the stones grind the wheat into fine flour.",
    "A small team can train a language model on its own machines. The data stays in the building, "
    "the logs stay readable, and every run can be repeated with the same seed.",
    "It's a quiet evening. We'll walk to the harbour, they've already left, and I'm sure you'd like the view.",
    "Numbers help: 3 apples, 12 pears, 250 grams of flour, 1.5 litres of milk and 2024 steps to the top.",
    "Le vent souffle sur la colline et les enfants rentrent à la maison. Le pain est chaud, "
    "la soupe est prête et le chat dort près de la fenêtre.",
    "Der Zug fährt um acht Uhr ab. Wir trinken noch einen Kaffee, lesen die Zeitung und gehen dann "
    "gemeinsam zum Bahnsteig, wo die Brücke über den Fluss beginnt.",
    "El mercado abre temprano. La señora vende naranjas, tomates y pan recién hecho; los niños "
    "corren entre los puestos y el sol calienta la plaza.",
    "O barco chegou ao porto ao meio-dia. Os pescadores descarregaram o peixe e a cidade acordou.",
    "La biblioteca è aperta fino alle sette. Gli studenti leggono in silenzio e la pioggia batte sui vetri.",
    "Весна пришла в город. Люди гуляют по набережной, а птицы поют на деревьях у реки.",
    "Η θάλασσα είναι ήρεμη σήμερα και τα πλοία φεύγουν για τα νησιά.",
    "今日は天気がいいので、公園で本を読みます。桜の花がとてもきれいです。",
    "我们明天早上去图书馆学习，然后一起吃午饭。天气很好，大家都很开心。",
    "오늘은 날씨가 맑아서 친구와 함께 산책을 했습니다.",
    "السماء صافية اليوم والأطفال يلعبون في الحديقة.",
    "Emoji travel too: 🚀 launches, 🌍 turns, ☕ warms the morning, and ✨ marks the end.",
    "def add(a, b):\n    return a + b\n\nprint(add(2, 3))  # prints 5\n",
    "Lists are simple:\n- wake up\n- make tea\n- write the report\n- go for a walk\n",
]

CAPITALS = [
    ("France", "Paris"),
    ("Germany", "Berlin"),
    ("Spain", "Madrid"),
    ("Italy", "Rome"),
    ("Portugal", "Lisbon"),
    ("Japan", "Tokyo"),
    ("China", "Beijing"),
    ("Canada", "Ottawa"),
    ("Egypt", "Cairo"),
    ("Kenya", "Nairobi"),
    ("Norway", "Oslo"),
    ("Poland", "Warsaw"),
    ("Peru", "Lima"),
    ("Greece", "Athens"),
    ("Russia", "Moscow"),
    ("India", "New Delhi"),
]

COLOURS = [
    ("the sky", "blue"),
    ("grass", "green"),
    ("snow", "white"),
    ("a lemon", "yellow"),
    ("a tomato", "red"),
    ("coal", "black"),
]

NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"]

GREETINGS = [
    ("Hello!", "Hello! How can I help you today?"),
    ("Hi, who are you?", "I am a small assistant model. How can I help?"),
    ("Thank you!", "You are welcome."),
    ("Bonjour !", "Bonjour ! Comment puis-je vous aider ?"),
    ("Hallo!", "Hallo! Wie kann ich helfen?"),
    ("¡Hola!", "¡Hola! ¿En qué puedo ayudarte?"),
    ("Ciao!", "Ciao! Come posso aiutarti?"),
    ("Привет!", "Привет! Чем могу помочь?"),
    ("你好！", "你好！有什么可以帮你的吗？"),
    ("こんにちは！", "こんにちは！何かお手伝いできますか？"),
]


def chats() -> List[List[Dict[str, str]]]:
    """Short single-turn conversations in ChatML roles, some with a system message."""
    out: List[List[Dict[str, str]]] = []
    for country, city in CAPITALS:
        out.append([
            {"role": "user", "content": f"What is the capital of {country}?"},
            {"role": "assistant", "content": f"The capital of {country} is {city}."},
        ])
    for thing, colour in COLOURS:
        out.append([
            {"role": "user", "content": f"What colour is {thing}?"},
            {"role": "assistant", "content": f"{thing[0].upper() + thing[1:]} is {colour}."},
        ])
    for a in range(10):
        for b in range(10):
            if (a * 7 + b * 3) % 4:
                continue
            out.append([
                {"role": "user", "content": f"What is {a} plus {b}?"},
                {"role": "assistant", "content": f"{a} plus {b} is {a + b}."},
            ])
    for n in range(1, len(NUMBER_WORDS)):
        out.append([
            {"role": "user", "content": f"How do you write {n} in words?"},
            {"role": "assistant", "content": f"{n} is written {NUMBER_WORDS[n]}."},
        ])
    for i, (prompt, reply) in enumerate(GREETINGS):
        conversation = [{"role": "user", "content": prompt}, {"role": "assistant", "content": reply}]
        if i % 2 == 0:
            conversation.insert(0, {"role": "system", "content": "You are a helpful assistant."})
        out.append(conversation)
    return out
