"""The task a job declares, and the task of the model it names.

job-records.md, "Reading a model's size and the task": a declared task wins when it maps to a
task name, then the named model's task, then the job's words (the network, or the rules'
keywords).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from analyzers.classifier.catalog import CatalogModel
from analyzers.records import NARROW_TASKS, TASKS, JobRecord
from domain.mentions import mentions, model_name

# Hub pipeline tags, server flags (vLLM --task, TGI, Triton, KServe) and plain words.
_ALIASES: dict[str, tuple[str, ...]] = {
    "text_classification": (
        "text-classification", "sentiment-analysis", "sentiment", "classification", "classify",
        "zero-shot-classification", "text classification", "moderation", "content-moderation",
        "safety", "safety-classification", "guardrail", "guard", "toxicity",
        "intent-classification", "intent", "topic-classification", "seq-cls",
        "sequence-classification", "nli", "natural-language-inference", "reward"),
    "token_classification": (
        "token-classification", "ner", "named-entity-recognition", "named entity recognition",
        "pii-detection", "pii", "pos", "pos-tagging", "chunking", "entity-extraction"),
    "question_answering": (
        "question-answering", "qa", "extractive-qa", "extractive question answering",
        "table-question-answering", "document-question-answering",
        # a question declared about an image is answered (four of four realistic sets'
        # writers); undeclared, a VQA script's words still caption (`model_vqa`)
        "visual-question-answering", "visual question answering", "vqa"),
    "sentence_similarity": (
        "sentence-similarity", "feature-extraction", "embeddings", "embedding", "embed",
        "retrieval", "reranking", "rerank", "text-ranking", "score", "similarity",
        "sentence-embeddings", "semantic-search"),
    "summarization": ("summarization", "summarisation", "summary", "summarize"),
    "translation": ("translation", "machine-translation", "machine translation", "mt", "translate"),
    "text_generation": (
        "text-generation", "text2text-generation", "generate", "generation", "chat",
        "conversational", "completion", "completions", "chat-completion", "code-generation",
        "code generation", "codegen", "code", "instruct", "llm"),
    "asr": ("automatic-speech-recognition", "asr", "speech-to-text", "speech-recognition",
            "transcription", "transcribe", "stt", "speech-translation", "speech translation"),
    "image_classification": ("image-classification", "zero-shot-image-classification",
                             "image classification"),
    "object_detection": ("object-detection", "zero-shot-object-detection", "detection",
                         "object detection"),
    "image_generation": ("text-to-image", "image-generation", "image generation", "diffusion",
                         "image-to-image", "unconditional-image-generation", "txt2img"),
    "image_captioning": ("image-to-text", "image-captioning", "image captioning", "captioning",
                         "image-text-to-text"),
    "other": ("text-to-video", "video-generation", "image-to-video", "text-to-speech", "tts",
              "text-to-audio", "audio-classification", "image-segmentation", "segmentation",
              "mask-generation", "depth-estimation", "video-classification", "fill-mask",
              "tabular-classification", "tabular-regression", "reinforcement-learning",
              "time-series-forecasting", "graph-ml", "robotics", "keypoint-detection",
              "image-feature-extraction", "audio-to-audio", "voice-activity-detection",
              "data-processing", "etl", "analytics", "text-to-3d", "image-to-3d", "video"),
}


def _norm(text: str) -> str:
    return re.sub(r"[\s_]+", "-", text.strip().lower().strip("'\""))


TASK_NAMES: dict[str, str] = {_norm(a): task for task, names in _ALIASES.items()
                              for a in names} | {t: t for t in TASKS} | {
                                  _norm(t): t for t in TASKS}
# A declared task in a command: `--task embed`, `task=ner`, `-P task=...`, `TASK=...`,
# `--pipeline-tag ...`; the value is one word (with - or _).
_FLAG = re.compile(r"(?i)(?:--task|--pipeline[-_]tag|(?<![\w.])task|\btask_type|\bpipeline_tag)"
                   r"(?:\s*=\s*|\s+)['\"]?([a-z0-9][a-z0-9_\-]*)")


# Verbs a declared phrase may start with, and the task each does (not `extract`: `extractive
# QA` answers; nor `generate`: `generate alt text` captions).
_VERB_TASKS = {"summar": "summarization", "translat": "translation",
               "classif": "text_classification", "transcrib": "asr",
               "answer": "question_answering"}
_LEADING_VERB = re.compile("(" + "|".join(_VERB_TASKS) + ")")


def task_name(declared: str | None) -> str | None:
    """The task name that declared words map to (`sentiment-analysis`: text_classification).

    A pipeline tag or alias maps as a whole; a phrase (`code completion`, `toxicity
    classification`, `language identification`) maps when its words name one task only.
    """
    if not declared:
        return None
    found = TASK_NAMES.get(_norm(declared))
    if found is None and re.fullmatch(r"translation[-_]?\w*", _norm(declared)):
        return "translation"  # translation_en_to_de
    if found is None:
        named = _said(declared, _DECLARED_SPEC, _DECLARED_ON_IMAGES)
        if not declared.isascii() or _FOREIGN_LATIN.search(declared.lower()):
            # English words inside another language's phrase count with its own:
            # `clasificación de fraude` classifies (fraud alone is `other`)
            foreign = _foreign_task(declared)
            if foreign is not None and all(_ON_IMAGES.get(t, t) == foreign for t in named):
                named = [foreign]  # `classificazione immagini`: its own words say images
            elif foreign is not None and foreign not in named:
                named = [foreign, *named]
        narrow = [t for t in named if t in NARROW_TASKS]  # `classify chat messages`
        # then a generative task more precise than generating text (`discharge summary
        # drafting` summarizes)
        precise = [t for t in named if t != "text_generation"]
        # a phrase that starts with a task's verb does that task (`summarize closed
        # export-classification case files`)
        verb = _LEADING_VERB.match(declared.strip().lower())
        led = _VERB_TASKS[verb.group(1)] if verb else None
        found = (named[0] if len(named) == 1 else led if led in named
                 else narrow[0] if len(narrow) == 1
                 else precise[0] if len(precise) == 1 else None)
    return found


# Tasks declared in the words of other languages (a multinational platform's teams label
# jobs in theirs): Spanish, Portuguese, French, German, Italian, Dutch, Polish, Czech,
# Turkish, Indonesian, Vietnamese, Finnish, Scandinavian, Russian, Arabic, Hindi, Thai,
# Japanese, Chinese and Korean. Read as substrings of the lower-cased phrase; where a phrase
# names several tasks, a narrow one alone decides, and images make classifying image
# classification.
_FOREIGN: dict[str, tuple[str, ...]] = {
    "text_classification": (
        "clasificaci", "classificaç", "classificac", "klassifikation", "klassifizierung",
        "classificazione", "classificatie", "klasyfikac", "klasifikac", "sınıflandırma",
        "siniflandirma", "klasifikasi", "phân loại", "luokittelu", "klassificering",
        "klassifisering", "klassifikation", "классификац", "класификац", "分類", "分类", "분류",
        "จำแนก",
        "वर्गीकरण", "تصنيف", "sentimiento", "sentimento", "stimmungsanalyse", "sentymentu",
        "duygu analiz", "analisis sentimen", "cảm xúc", "感情分析", "情感分析", "감성 분석",
        "감정 분석", "тональност", "भावना विश्लेषण", "تحليل المشاعر", "moderación",
        "moderação", "moderazione", "moderacja", "modération", "clasificar", "classificar",
        "klassifizier", "klassificer", "clasificare", "clasificarea", "osztályoz",
        "osztalyoz", "besorol", "ταξινόμηση", "ταξινομηση", "κατηγοριοποίηση", "kategorizac",
        "kategoriz", "kategorisasi", "类目", "品类", "意图识别", "意圖", "意図", "의도 분류",
        "分級", "分级",  # grading into levels (`客訴分級`, complaint severity)
        # Persian, Urdu, Bengali, Swahili, Amharic, Hausa
        "طبقه‌بندی", "طبقه بندی", "طبقه‌بند", "درجہ بندی", "শ্রেণীবিভাগ", "শ্রেণিবিভাগ",
        "শ্রেণিবিন্যাস", "uainishaji", "ምደባ", "rarrabuwa", "تحلیل احساسات",
        # hate speech: Hindi, Arabic, Persian, Urdu, Swahili, Bengali
        "नफ़रत", "नफरत", "خطاب الكراهية", "سخنان نفرت", "نفرت انگیز", "matamshi ya chuki",
        "ঘৃণা",
        # Hebrew (`סיווג תגובות גולשים`), Ukrainian (`класифікація`, fact-checking)
        "סיווג", "ניתוח סנטימנט", "класифікац", "фактчек", "факт-чек", "фактчекінг",
        # Vietnamese and Indonesian moderation and grading (`kiểm duyệt bình luận`)
        "kiểm duyệt", "vi phạm", "chấm điểm", "moderasi",
        "klassifitseeri",  # Estonian
        "classer",  # French: `classer : soumis ITAR / EAR`
        "cyberprzemoc",  # Polish cyberbullying
        # Basque, Welsh, Irish, Tagalog, Somali, Haitian Creole
        "sailkat", "sailkap", "dosbarthu", "aicmiú", "aicmiu", "pag-uuri", "damdamin",
        "kala saar", "klasifikasyon",
        # judging content harmful or in breach (`聊天内容审核`, `チャット有害判定`)
        "审核", "審核", "有害", "判定", "违规", "違反", "유해", "판정", "zararlı",
        "จัดหมวดหมู่", "หมวดหมู่ข้อความ", "ujaran kebencian", "discurso de odio",
        "discurso de ódio", "discours haineux", "hassrede", "incitamento all'odio",
        "mowa nienawiści", "nefret söylemi", "язык вражды", "ненавист", "toxicidad",
        "toxicidade", "toxicité", "toxizität", "tossicità", "toksyczn", "toksisitas",
        "phát ngôn thù ghét", "độc hại", "вредоносн", "токсичн"),
    "token_classification": (
        "reconocimiento de entidades", "entidades nombradas", "reconhecimento de entidades",
        "entités nommées", "reconnaissance d'entités", "eigennamenerkennung",
        "entitätserkennung", "entità nominate", "rozpoznawanie nazw", "varlık tanıma",
        "nhận dạng thực thể", "固有表現", "命名实体", "实体识别", "命名實體", "實體識別",
        "개체명", "ชื่อเฉพาะ", "품사", "형태소",
        "entitate izendun", "erauzi", "endidau", "חילוץ", "תיוג מורפולוגי",
        "नामित इकाई", "именованных сущностей", "التعرف على الكيانات", "névelem", "nevelem",
        "entități", "entitati", "pojmenovaných entit", "namnigenkänning", "αναγνώριση οντοτήτων",
        "οντοτήτων", "riconoscimento entit", "riconoscimento di entit", "estrazione di entit",
        "extracción de entidades", "extração de entidades", "extraction d'entités",
        "entiteitherkenning", "entiteitsherkenning", "entiteiten", "rozpoznawanie encji",
        "ekstrakcja encji", "entiteettien", "nimettyjen entiteettien", "entitetsigenkänning",
        "entitetsgjenkjenning", "enhetsgjenkjenning", "entitetsgenkendelse", "entitäten",
        # extraction of spans, items, information (not `抽出型質問応答`, extractive QA)
        "スパン抽出", "項目抽出", "情報抽出", "固有表現抽出", "信息抽取", "实体抽取", "信息提取",
        # morphological tagging and named entities of Slavic languages
        "morfologick", "morfološk", "морфолош", "морфологическ", "značkován", "označavan",
        "означаван", "imenskih entitet", "imenovanih entitet", "именованих ентитет",
        "résumé pars", "résumés pars",  # a CV's fields, not a summary
        "সত্তা শনাক্ত", "নামযুক্ত সত্তা", "الكيانات المسماة", "موجودیت", "utambuzi wa majina",
        "זיהוי ישויות", "ישויות", "nimeüksus", "nimeuksus",
        # extracting from texts (`Extraktion von Fristen`, `实体与关系抽取`, `varlık çıkarımı`)
        "extraktion", "extrahier", "extracci", "extraç", "estrazione", "抽取", "추출",
        "çıkarım", "varlık", "ekstraksi", "извлечени", "вилучення", "استخراج"),
    "question_answering": (
        "respuesta a preguntas", "preguntas y respuestas", "perguntas e respostas",
        "réponse aux questions", "questions-réponses", "fragebeantwortung",
        "domande e risposte", "odpowiadanie na pytania", "soru cevap", "soru-cevap",
        "tanya jawab", "hỏi đáp", "質問応答", "问答", "問答", "기계 독해", "질의응답", "질의 응답",
        "ถามตอบ", "प्रश्न उत्तर", "ответы на вопросы", "الإجابة على الأسئلة", "kérdés-válasz",
        "kérdésválasz", "вопрос-ответ", "вопросно-ответ", "întrebări și răspunsuri",
        "odpovídání na otázky", "frågebesvar",
        "frage-antwort", "ερωταποκρίσεις", "ερωταπαντ", "beantwortung", "spørsmål-svar",
        "fråga-svar", "spørgsmål-svar", "galdera-erantzun", "galderei erantzun",
        "ateb cwestiynau", "freagra", "risposte a domande", "rispondere a domande",
        "ερωτήσεις και απαντήσεις", "vraag-antwoord",
        "vraag en antwoord", "vragen beantwoorden", "domanda-risposta", "domanda risposta",
        "pregunta-respuesta", "preguntas y respuestas", "perguntas e respostas",
        "pergunta-resposta", "pytania i odpowiedzi", "kysymys-vastaus", "kysymyksiin vastaaminen",
        "otázky a odpovědi", "frågor och svar", "spørsmål og svar", "spørgsmål og svar",
        "beantwortung von fragen", "fragen beantworten", "fragen zu beantworten",
        "vraagbeantwoording", "répondre aux questions", "responder preguntas",
        "trả lời câu hỏi", "ตอบคำถาม", "menjawab pertanyaan", "kérdésmegválaszol",
        "kérdés-megválaszol",
        "responder perguntas", "מענה לשאלות", "שאלות ותשובות"),
    "sentence_similarity": (
        "incrustaciones", "búsqueda semántica", "busca semântica", "recherche sémantique",
        "semantische suche", "ricerca semantica", "wyszukiwanie semantyczne",
        "anlamsal arama", "pencarian semantik", "tìm kiếm ngữ nghĩa", "埋め込み", "意味検索",
        "嵌入", "语义检索", "語意檢索", "語義檢索", "語意搜尋", "임베딩", "의미 검색",
        "семантический поиск", "البحث الدلالي",
        "семантическая близость", "семантическое сходство", "semantische ähnlichkeit",
        "similitud semántica", "similaridade semântica", "similarité sémantique",
        "somiglianza semantica", "podobieństwo semantyczne", "anlamsal benzerlik",
        "kemiripan semantik", "độ tương đồng ngữ nghĩa", "意味的類似", "语义相似", "의미 유사",
        "similares", "similaires"),
    "asr": (
        "transcripci", "transcriç", "transcric", "reconocimiento de voz",
        "reconhecimento de fala", "reconnaissance vocale", "spracherkennung", "transkription",
        "trascrizione", "riconoscimento vocale", "transkrypcj", "rozpoznawanie mowy",
        "konuşma tanıma", "transkripsi", "pengenalan suara", "giọng nói thành văn bản",
        "nhận dạng giọng nói", "transkriber", "puheentunnistus", "litterointi", "音声認識",
        "文字起こし", "语音识别", "语音转写", "語音辨識", "語音識別", "음성 인식", "음성인식",
        "ถอดความ", "ถอดเสียง", "รู้จำเสียง",
        "वाक् पहचान", "распознавание речи", "التعرف على الكلام", "beszédfelismer", "átirat",
        "transcriere", "recunoaștere vocală", "rozpoznávání řeči", "přepis", "taligenkänning",
        "transkribering", "αναγνώριση ομιλίας", "μεταγραφή", "απομαγνητοφώνηση", "תמלול",
        "transskri", "transkripzio", "trawsgrifio", "tras-scríobh"),
    "summarization": (
        "resumen", "resumo", "résumé", "résumer", "zusammenfass", "riassunto", "riassum",
        "samenvat", "streszczen", "podsumow", "özetleme", "ringkasan", "tóm tắt", "tiivist",
        "sammanfattning", "oppsummering", "要約", "摘要", "总结", "요약", "สรุป", "सारांश",
        "суммаризац", "реферирован", "تلخيص", "összefoglal", "rezumat", "rezumare", "shrnutí",
        "sammanfatt", "περίληψη", "περιληψη", "خلاصه", "خلاصہ", "সারাংশ", "muhtasari",
        "ማጠቃለያ", "סיכום", "kurzfassung", "opsummering", "laburpen", "crynodeb",
        "achoimre"),
    "translation": (
        "traducci", "tradução", "traducao", "traduction", "übersetzung", "traduzione",
        "vertaling", "tłumaczen", "çeviri", "terjemahan", "dịch máy", "dịch thuật",
        "käännös", "översättning", "oversettelse", "翻訳", "翻译", "翻譯", "번역", "แปลภาษา",
        "अनुवाद", "תרגום", "oversættelse", "itzulpen", "cyfieithu", "aistriúchán",
        "pagsasalin", "tradiksyon",
        "перевод", "ترجمة", "fordítás", "traducere", "překlad", "μετάφραση", "ترجمه", "ترجمہ",
        "অনুবাদ", "tafsiri", "ትርጉም"),
    "text_generation": (
        "conversaci", "asistente", "assistente", "asisten", "percakapan", "trợ lý",
        "sinh câu hỏi", "generación de preguntas", "geração de texto", "geracao de texto",
        "hội thoại", "keskustelu", "sohbet", "üretim", "generación de texto",
        "génération de texte", "textgenerierung", "generowanie", "対話", "チャット", "对话",
        "聊天", "대화", "챗봇", "สนทนา", "बातचीत", "диалог", "محادثة"),
    "object_detection": (
        "detección de objetos", "deteccion de objetos", "detecção de objetos",
        "détection d'objets", "objekterkennung", "rilevamento oggetti",
        "rilevamento di oggetti", "objectdetectie", "detekcja obiektów", "nesne algılama",
        "nesne tespiti", "deteksi objek", "phát hiện đối tượng", "物体検出", "目标检测",
        "物体检测", "객체 탐지", "객체 검출", "ตรวจจับวัตถุ", "वस्तु पहचान",
        "обнаружение объектов", "детекция объектов", "كشف الأجسام", "objektumfelismer",
        "detectarea obiectelor", "detekce objektů", "objektdetektering", "ανίχνευση αντικειμένων"),
    "image_captioning": (
        "キャプション", "캡션", "图像描述", "图片描述", "画像説明", "descripción de imágenes",
        "descripcion de imagenes", "subtitulado de imágenes", "legendagem", "descrição de imagens",
        "description d'images", "légende d'image", "bildbeschreibung", "didascali",
        "görüntü açıklama", "описание изображени"),
    "image_generation": (
        "이미지 생성", "画像生成", "图像生成", "图片生成", "generación de imágenes",
        "geração de imagens", "génération d'images", "bildgenerierung"),
    "other": (
        "síntesis de voz", "sintesi vocale", "synthèse vocale", "sprachsynthese",
        "音声合成", "语音合成", "음성 합성", "segmentaci", "segmentação", "セグメンテーション",
        "图像分割", "분할"),
}
_FOREIGN_IMAGES = re.compile(
    r"imagen|imágen|imagem|images?\b|bild|immagin|obraz|görüntü|gambar|hình ảnh|画像|图像|"
    r"图片|이미지|ภาพ|छवि|изображен|صور|fotos?\b|fotogra|zdjęć|zdjęci|фото|снимк|写真|照片|사진")
# Latin-script words of those languages that plain ASCII spells too (`resumen`, `traduccion`).
_FOREIGN_LATIN = re.compile(
    "|".join(re.escape(w) for words in _FOREIGN.values() for w in words if w.isascii()))


# ... normalized as the phrases are (NFKC splits Thai's sara am: `จำแนก`, `ตอบคำถาม`)
_FOREIGN_NFKC = {task: tuple(unicodedata.normalize("NFKC", w).lower() for w in words)
                 for task, words in _FOREIGN.items()}


def _foreign_task(declared: str) -> str | None:
    """The task a phrase of another language declares, or None."""
    lowered = unicodedata.normalize("NFKC", declared).lower()
    named = [task for task, words in _FOREIGN_NFKC.items() if any(w in lowered for w in words)]
    narrow = [t for t in named if t in NARROW_TASKS]
    found = named[0] if len(named) == 1 else narrow[0] if len(narrow) == 1 else None
    if found == "text_classification" and _FOREIGN_IMAGES.search(lowered):
        return "image_classification"
    return found


def declared_task(record: JobRecord, sees_images: bool = False,
                  only_images: bool = False) -> str | None:
    """The task the job declares (field task, else a server flag), when it maps to a name.

    Classifying images (`--task zeroshot_classification` over ImageNet) is image
    classification; so is classifying that names no text (`clasificación de cultivos`,
    `scene classification`) in a job that works on images, or with a model that sees them
    (`sees_images`: a VLM, an image backbone); with a model that sees nothing else
    (`only_images`: `timm/efficientnet_b0`), whatever it names (`ID-document types`).
    """
    found = _declared(record)
    if found == "object_detection" and not sees_images:
        declared = _declared_spaced(record)
        if _DETECTED_TEXT.search(declared) and not _IMAGES.search(
                _spaced_text(f"{declared} {record.name} {record.command}")):
            return "text_classification"  # `detect fake or inauthentic reviews`: sorting texts
    if found != "text_classification":
        return found
    if only_images:
        return "image_classification"
    spaced = _spaced_text(f"{record.name} {record.command}")
    if _IMAGE_DATA.search(spaced):
        return "image_classification"
    declared = _declared_spaced(record)
    if not _TEXT_NAMED.search(declared) and (
            sees_images or _IMAGES.search(spaced) or _IMAGE_JOB.search(spaced)):
        return "image_classification"
    return found


def _declared_spaced(record: JobRecord) -> str:
    """The words a job declares its task in, lower case between single spaces, any script."""
    return f" {_NOT_A_LETTER.sub(' ', _declared_words(record).lower())} "


def _declared_words(record: JobRecord) -> str:
    """The words the job declares its task in: the field, else its flags' values."""
    return record.task or " ".join(_FLAG.findall(record.command))


# Between words of any script (`_said`'s are ASCII; Thai's and Hindi's vowel marks are no \w)
_NOT_A_LETTER = re.compile(r"[\s_\-/.,;:!?()\[\]{}'\"|+=*&%$#@~`<>]+")
# What a declared classification may classify that is text (in the languages above).
_TEXT_NAMED = re.compile(
    r" (?:text\w*|sentiment\w*|sentim\w*|intent\w*|toxic\w*|spam|topics?|news|reviews?|e ?mails?|"
    r"tickets?|doc\w*|tweets?|comments?|messages?|chats?|prompts?|quer\w*|languages?|lang|"
    r"idioma|langue|sprache|sentences?|nli|zero shot text|texto|textos|texte|testo|tekst\w*|"
    r"metin|emotion\w*|emoci\w*|stance|hate|fraud\w*|risk\w*|claims?|contracts?|legal|"
    r"polarit\w*|moderat\w*|moderaci\w*|moderaç\w*|safety|harm\w*|pii|mails?|notes?|"
    r"notic\w*|notíc\w*|nachrichten|nouvelles|notizie|haber\w*|articles?|art[ií]culos?|"
    r"headlines?|titles?|posts?|feedback|survey\w*|encuesta\w*|transcripts?|reports?|"
    r"letters?|courriers?)(?= )|"
    r"テキスト|텍스트|文本|文章|감성|감정|感情|情感|评论|レビュー|리뷰|ข้อความ|ความคิดเห็น|पाठ|"
    r"نص|текст|κείμεν|văn bản|(?<![a-z])teks(?![a-z])|отзыв|сообщени|коммент")
# Texts a declared detection names, with no boxes drawn (`claim detection`, `detect fake
# reviews`): what a declared classification may classify, but documents (layout, tables).
_DETECTED_TEXT = re.compile(_TEXT_NAMED.pattern.replace(r"doc\w*|", ""))
# Pictures, whatever texts come with them (`classify_photos.py ... s3://maint-tickets/`).
_PICTURES = re.compile(r" (?:photos|pictures|screenshots)(?= )")
# Texts a job's words may say it reads, beside images (`pathology reports`, `radiology notes`).
_TEXT_MEDIUM = re.compile(r" (?:reports?|notes|letters|texts|emails?|tickets|reviews|comments|"
                          r"messages|tweets|articles|transcripts|abstracts|narratives?)(?= )")
# A job that works on images, as its flags say: an image size, a multimodal prompt, tiles of
# slides or of the earth seen from above.
_IMAGE_JOB = re.compile(r" (?:img size|image size|imgsz|input size|mm per prompt|patch size|"
                        r"satellite|aerial|land ?cover|remote sens\w*|sentinel ?2|landsat|"
                        r"terratorch|timm|torchvision|ultralytics|"
                        # image models named in a job's words (`vit-unsafe-filter`)
                        r"vit|convnext\w*|efficientnet\w*|resnet\d*|swin\w*|siglip\w*)"
                        r"(?= )")


def _declared(record: JobRecord) -> str | None:
    found = task_name(record.task)
    if found is not None:
        return found
    lowered = record.command.lower()
    if "task" not in lowered and "pipeline" not in lowered:
        return None
    for value in _FLAG.findall(record.command):
        found = task_name(value)
        if found is not None:
            return found
    return None


def model_task(models: Sequence[CatalogModel]) -> str | None:
    """The one task the named models are made for; None for generalists or mixed tasks.

    A general-purpose model (one that also generates text) is pointed at any task, so the
    job's words decide its task.
    """
    tasks = {m.tasks for m in models}
    if len(tasks) != 1:
        return None
    (only,) = tasks
    return only[0] if len(only) == 1 and only[0] != "text_generation" else None


# Robots' policies (vision-language-action models): they output actions.
_ROBOTS = ("!lerobot", "!openvla", "![vla]", "!libero", "![aloha]", "![pi0]", "!pi0 fast",
           "!smolvla", "!gr00t", "![so101]", "![so100]")
# Words that say a task, as a model's name or a job's words write them: a word in brackets
# must stand alone (`[ner]`); other words may start or sit inside a word (`classif`); a task
# named only by words marked `~` yields to another (`jailbreak-detect`), unless two of its
# `~` words say it; one marked `^` yields to any other. Words are lower case with `-`, `_`,
# `.`, `/` and `:` read as spaces.
_SPEC = dict[str, tuple[str, ...]]
# Texts sorted, as a model's name or a job's words say: anomalies of logs (of numbers they
# are `other`), vulnerabilities of code, GLUE's tasks over sentences and their pairs.
_SORTED_TEXTS = ("log anomal", "loganomal", "log analy", "loganaly", "vulnerab", "qnli", "~[rte]",
                 "mrpc", "~[cola]", "[qqp]", "~[glue]")
_NAME_WORDS: _SPEC = {  # first task in this order wins: only narrow or non-generative uses
    "other": ("tts", "text to speech", "t2v", "i2v", "video", "[sam]", "[sam2]", "segment",
              "depth", "kokoro", "musicgen", "audiogen", "anomal", "forecast", "[xgb]",
              "xgboost", "lightgbm", "[tabular]", "recommend", "[pose]", "cosyvoice",
              "openvoice", "voicecraft", "orpheus", "xtts", "[bark]", "parler", "chatterbox",
              "speech synth", "nucleotide", "[dna]", "dnabert", "genom", "protein", "[esm]",
              "esm2", "esm3", "esmc", "evo2", "hyenadna", "caduceus", "progen", "protgpt",
              "saprot", "prott5", "prot t5", "prostt5", "chemberta", "molformer", "smi ted",
              "unimol", "uni mol", "dplm", "diariz", "sortformer", "pyannote", "mask2former",
              "maskformer", "oneformer", "segformer", "clipseg", "upernet", "panoptic",
              "speech emotion", "timemoe", "time moe", "timesfm", "moirai", "lag llama",
              "lagllama", "patchtst", "tirex", "[toto]", "tinytimemixer", "[ttm]",
              "birefnet", "[rmbg]", "matting", "background remov", "2world", "trellis", "[3d]",
              "hunyuan3d", "triposr", "instantmesh",
              # video generators whose names say no video
              "mochi", "cogvideo", "hunyuanvideo", "animatediff", "[ltxv]",
              *(word.lstrip("!") for word in _ROBOTS)),
    "image_captioning": ("caption", "image to text", "ocr",
                         # Models that watch videos describe them (not video generators).
                         "video instruct", "llava video", "video llava", "videollama",
                         "video llama", "videochat", "video chat", "video r1", "video xl"),
    "asr": ("whisper", "wav2vec", "[asr]", "[stt]", "speech to text", "parakeet", "canary",
            "conformer",
            # (a `transcript-sentiment` model sorts transcripts: the noun names ASR's output)
            "moonshine", "transcrib", "transcription", "^transcript", "hubert", "granite speech",
            "owsm", "data2vec audio"),
    "token_classification": ("[ner]", "pii", "token class", "pos tag", "gliner", "nuner",
                             "information extract",
                             "entit", "funsd", "[cord]", "punctuat"),
    "question_answering": ("squad", "[qa]", "question", "docvqa", "document qa", "[doc qa]"),
    "sentence_similarity": ("embed", "rerank", "retriev", "colbert", "sentence trans", "multi qa",
                            "[dpr]", "sbert", "germandpr", "question encoder", "query encoder",
                            "passage encoder", "ctx encoder", "context encoder",
                            "paraphras",
                            "2vec",
                            "similar", "stella", "[bge]", "[gte]", "[e5]", "simcse", "[sts]",
                            "colqwen", "colpali", "colsmol", "colgemma",  # page retrievers
                            "splade",  # sparse retrievers
                            "stsb",
                            # architectures most often embedding, unless a purpose is said
                            # (`multilingual-MiniLMv2-L6-mnli-xnli` classifies)
                            "~minilm", "~mpnet"),
    "text_classification": ("guard", "moderat", "safety", "toxic", "sentiment", "classif", "nsfw",
                            "[clf]", "malware", *_SORTED_TEXTS,
                            "[nli]", "[mnli]", "[xnli]", "[anli]", "[sst2]", "sst 2", "intent",
                            "emotion", "spam", "[hate]", "hatespeech", "hate speech", "hatebert",
                            "dehate",
                            "prompt inject", "injection", "fact check", "factcheck", "minicheck",
                            "jailbreak", "[cls]", "language ident", "language detect", "[lid]",
                            "langid", "reward", "[rm]", "[prm]", "[orm]", "gpt detector",
                            "openai detector", "[ai detector]", "text detect", "ai generated",
                            "machine generated", "halluc", "phishing", "profanit", "offensive",
                            "misinfo", "fake news", "sarcas", "gibberish", "question detect",
                            "harmful", "[harm]", "shield", "claimbuster", "check worth",
                            "checkworth", "propaganda"),
    "object_detection": ("detr", "[deta]", "~yolo", "[det]", "~detect", "owlv", "owl v",
                         "grounding",
                         "omdet", "dfine", "d fine", "rtmdet", "[ovd]"),
    "image_generation": ("diffusion", "sdxl", "flux", "txt2img", "text to image", "[t2i]",
                         "text2image", "text2img", "auraflow", "deepfloyd", "omnigen",
                         "kandinsky", "pixart", "[sana]", "hidream", "image gen", "lumina image",
                         "qwen image", "cogview"),
    "image_classification": ("[vit]", "levit", "ai image detect", "image detect", "convnext",
                             "resnet", "efficientnet", "dino", "siglip",
                             "aimv", "mambavision", "[beit]", "[deit]", "[swin]", "swinv2",
                             "regnet",
                             "mobilenet", "image class", "image detection", "deepfake",
                             "deep fake", "inception v", "inceptionv", "[in1k]", "[in21k]",
                             "[in22k]", "focalnet", "[cvt]", "rvlcdip", "rvl cdip",
                             "data2vec vision"),
    "translation": ("translat", "nllb", "opus mt", "madlad", "m2m", "[mt]"),
    "summarization": ("summar", "[sum]", "[summ]", "xsum", "samsum", "cnndm", "cnn dm"),
}
# Molecules, genomes and weather: a job about them is `other` whatever it does with them
# (embeds proteins, classifies drug-target pairs, generates DNA); `!`: these words decide.
_SCIENCE = (*_ROBOTS, "![dna]", "!genom", "!protein", "!nucleotide", "![rna]", "!amino acid",
            "!antibod",
            "!enzyme", "![fasta]", "![faa]", "!uniref", "!uniprot", "![pdb]", "!molecul",
            "![smiles]", "![qm9]", "!bindingdb", "![dti]", "!drug target", "!variant effect",
            "![vep]", "!promoter", "!mgnify", "!metagenom", "!single cell", "![scrna]",
            "~weather", "~climate", "![era5]", "!merra", "!downscal", "![esm]", "!esm2",
            "!esm3", "!esmc",
            # chemistry's reactions, cells' transcriptomes
            "![rxn]", "!reaction predict", "!retrosynth", "!geneformer", "![scgpt]")
# Sorting sounds: no task of the list classifies audio (`audio event tagging` is `other`).
_SOUNDS = ("audio event", "sound event", "audio tag", "audio class", "sound class",
           "acoustic scene", "audioset", "[sfx]", "[esc50]", "esc 50",
           # ... nor spots a wake word (`hey car`)
           "keyword spot", "wake word", "wakeword", "[kws]", "speech command")
_JOB_WORDS: _SPEC = {  # the words decide where the network reads a generative task
    "text_classification": ("sentiment", "polarity", "classif", "toxic", "moderat", "[intent]",
                            "[senti]",
                            "nsfw",
                            "intents", "spam", "emotion", "[stance]", "hate speech", "guardrail",
                            "content safety", "jailbreak", "triage", "[lang id]", "guard",
                            "reward model train", "train reward model", "reward modeling",
                            "reward modelling", "[train rm]",
                            "language ident", "language detect", "[sst2]", "sst 2", "imdb", "mnli",
                            # ... in other languages' words (`paatokset-aiheluokitus`)
                            "clasific", "klassifi", "klasyfik", "klasifik", "luokit",
                            *_SORTED_TEXTS,
                            "fact check", "factcheck", "prompt inject", "deepfake", "deep fake",
                            # Sorting things into labels, where nothing more precise is said.
                            "~tagger", "~tagging", "~labeler", "~labeller", "~labeling",
                            "~labelling", "~router", "~routing", "~categori", "~[labels]",
                            # an LLM judging into verdicts or a grade (`judge.py --verdicts
                            # PASS,FAIL`, `grade_answers.py --scale correct,incorrect`)
                            "~verdict", "~grader", "~[grade]", "~grading",
                            # a chat's moderation (`th-chatmod`, `chatfilter-ko`)
                            "chatmod", "[chat mod]", "chatfilter", "chat filter",
                            "content filter",
                            # Detecting things in text is classifying it (not boxes).
                            "text detect", "ai detect", "aigen", "ai generated",
                            "machine generated", "gpt generated", "[harm]", "harmful",
                            "halluc", "phishing", "~malware", "profanit", "offensive",
                            "misinfo", "fake news", "sarcas", "churn reason", "[cls]", "[mgt]",
                            "tacred", "~relation extract", "relation classif", "[fever]",
                            "safety filter", "policy violation", "[nli]", "gibberish",
                            "question detect", "langid", "[lid]", "detect lang",
                            # clinical and pharmacovigilance coding is classifying text
                            "adverse event", "pharmacovigil", "[icd]", "icd10", "[icd9]",
                            "~meddra", "chat rout",
                            "[screening]", "abstract screen", "[clasif]",
                            # ... and so is coding answers to a scheme of codes (occupations,
                            # industries, diagnoses), which is no programming
                            "occupation cod", "industry cod", "survey cod", "diagnosis cod",
                            "[isco]", "[isco08]", "[nace]", "[naics]", "[soc cod]",
                            "lang detect",
                            # a head over labels, where nothing says boxes or tokens
                            "~[num classes]", "~[num labels]", "[clf]", "~[classes]",
                            # grading answers and essays sorts them into marks
                            "essay scor", "essay grad", "[aes]", "[grading]", "[grader]",
                            "[pass fail]", "answer grad",
                            "multi class", "multiclass", "multi label", "multilabel",
                            # claims worth checking, propaganda: sorting texts
                            "claim detect", "claims detect", "check worth", "checkworth",
                            "claimbuster", "propaganda", "disinform", "fake review", "[scam]",
                            "scam detect", "scams", "cyberbull", "~taxonomy", "~[zero shot]",
                            "~zeroshot", "guided choice", "~[enum]",
                            # other languages' words for classifying, as ASCII spells them
                            # (`klassifikation_beschwerden.ipynb`, `haber-kategori`)
                            "klassif", "clasific", "klasyfik", "klasifik",
                            "siniflandir", "~kategori"),
    "token_classification": ("[ner]", "named entit", "entity", "entities", "[pii]", "deid",
                             "de identif",
                             "[tok cls]", "[tok clf]",
                             "pos tag", "part of speech", "slot fill", "token cl", "conll",
                             "morpholog", "morph tag", "morf tag", "[morph]", "lemmatiz",
                             "wikiann", "redact", "resume pars", "address pars", "invoice field",
                             "~mentions", "[kie]", "key information", "span detect", "funsd",
                             "punctuat", "[punct]",
                             "[cord]",
                             "halluc span detect", "span level", "span tag", "span extract",
                             "sequence label",
                             "sequence tag", "seq label", "[iob]", "[bio tag]",
                             # aspect terms of reviews (ABSA's ATE)
                             "[ate]", "aspect term", "aspect extract"),
    # `answer` yields to a task named otherwise (`rag-answers` generate, `~[rag]`).
    # `question` yields to a classification (`question classification` sorts questions).
    "question_answering": ("squad", "[qa]", "[q a]", "[qna]", "question answering",
                           "questions answering", "~question",
                           "reading comp",
                           "extractive", "~answer", "docvqa", "document qa", "xquad",
                           "answer extract", "answer span",
                           # question-answering benchmarks
                           "pubmedqa", "medqa", "medmcqa", "bioasq", "triviaqa", "hotpotqa",
                           "natural questions", "[boolq]", "[tydiqa]", "[mlqa]",
                           # documents' QA and machine reading comprehension (`spec-mrc`)
                           "~[docqa]", "[mrc]"),
    "sentence_similarity": ("embed", "retriev", "rerank", "semantic search", "vector",
                            "negatives ranking", "infonce", "[mnrl]", "cross encoder",
                            "similarit", "~dedup", "~near dup", "faiss", "msmarco", "sbert",
                            "paraphras", "[sts]", "stsb",
                            "encode corpus"),
    # Transcripts are ASR's output: a job that summarizes them summarizes.
    "asr": ("[asr]", "transcrib", "transcription", "^transcript", "speech to text", "[stt]",
            # captions of speech (`real-time classroom captioning`), not of images
            "live caption", "closed caption", "real time caption",
            "whisper", "conformer", "[ctc]", "[rnnt]",
            "dictation", "librispeech", "common voice", "commonvoice", "speech rec",
            # speech translated into text (`ko2en` voice chat)
            "speech translat", "speech to text translat"),
    "image_classification": ("image cl", "img cl", "~imagenet", "~cifar", "food101", "food 101",
                             "defect class", "plant disease", "photo tag", "vision cls", "[inat]",
                             "inat21", "inaturalist", "linear probe", "[linprobe]", "rvl cdip",
                             "rvlcdip"),
    "object_detection": ("~detect", "~[det]", "bbox", "yolo", "pedestrian", "license plate",
                         "people count", "[ovd]", "refcoco", "object detect", "bounding box",
                         "open vocab",
                         "~[boxes]"),
    # Not narrow, but a generative model pointed at them is doing them, not chatting.
    "translation": ("translat", "localiz", "localis", "[l10n]", "[mt]", "[nmt]", "[wmt]", "i18n",
                    "tradu", "ubersetz", "uebersetz", "vertaal", "vertal", "oversett", "oversatt",
                    "tlumacz", "ceviri",
                    "[en de]", "[de en]",
                    "[fr en]", "[en fr]", "[ja en]", "[en ja]", "[zh en]", "[en zh]",
                    "multilingual mt"),
    "summarization": ("summar", "[summ]", "tldr", "recap", "meeting notes", "condense", "xsum",
                      # ... in other languages' words, as names and paths spell them
                      "samenvat", "zusammenfass", "riassun", "podsumow", "tiivist",
                      "sammanfatt", "oppsummer", "[resumen]",
                      "samsum", "cnn dm", "cnndm", "abstracts", "digest writer"),
    # Generative uses, named by the job's words: a generalist doing them is not oversized.
    "text_generation": ("[chat]", "chatbot", "assistant", "copilot", "[completion]",
                        "completions", "codegen", "code assist", "code gen", "[sft]", "[dpo]",
                        "[rlhf]", "[grpo]", "~[pretrain]", "~[pretraining]", "[cpt]",
                        "continued pretrain", "continual pretrain", "instruct tun",
                        "story gen", "[text gen]", "[agent]", "agentic", "~[rag]", "~reasoner",
                        "~reasoning", "~function call", "text2sql", "nl2sql", "[sql]",
                        "mergekit", "~[math]",
                        # Benchmarks of generation: answers, solutions, code, rollouts.
                        "arena hard", "arenahard", "mt bench", "mtbench", "alpaca eval",
                        "alpacaeval", "gen answer", "[aime]", "aime24", "aime25", "gsm8k",
                        "math500", "humaneval", "[mbpp]", "livecodebench", "swe bench",
                        "swebench", "[swe]", "[rollout]", "[rollouts]", "ifeval", "longbench",
                        "synth gen", "synthetic data", "data synth", "[sdg]", "~[bot]",
                        # questions written, grammar corrected: texts generated
                        "question gen", "[qg]", "grammar correct", "fix the grammar",
                        "grammar fix", "grammar synth", "[gec]", "grammatical error",
                        "autocomplet", "run clm", "[clm]", "causal lm"),
    "image_captioning": ("caption", "alt text", "img2txt", "image to text", "describe image",
                         "[vqa]", "chartqa", "textvqa", "~[ocr]", "video caption"),
    "image_generation": ("[t2i]", "txt2img", "text to image", "image gen", "img gen", "diffusion",
                         "diffusers", "comfyui", "inpaint", "dreambooth", "sdxl", "text2image",
                         "text2img",
                         "instance data", "instance prompt", "guidance scale", "[guidance]",
                         "virtual try on", "[vton]", "try on",
                         "inference steps", "ddpm", "geneval"),
    # Not a model's use at all, or one the task names leave out: GPU burn-in and
    # collective tests, biology, segmentation and matting, video, speech synthesis.
    "other": ("gpu burn", "[burn]", "nccl test", "stress test", "[dcgm]", "[hpl]",
              *_SCIENCE, "[matting]", "background remov",
              "[rmbg]", "segment", "[seg]", "depth estim", "~video", "[tts]", "text to speech",
              "speech synth", "forecast", "time series", "gromacs", "[lammps]", "[namd]",
              "[cfd]", "openfoam", "xgboost", "[xgb]", "lightgbm",
              # video generators' lines (a word of video alone is weak: `video titles`)
              "[ltx]", "cogvideo", "hunyuanvideo", "mochi", "[svd]", "animatediff",
              "[dlrm]", "recommend", "code server", "vscode", "audiogen", "musicgen",
              "[music]", "music gen", "[narration]", "voice over", "voiceover", "[churn]",
              "propensity", "tabular", "[ctr]", "click through", "video gen",
              "video diffusion", "~diariz", "~diaris", "speech emotion", "backtest", "anomal",
              "panoptic", "[gaze]", "gaze estim", "pose estim", "keypoint", *_SOUNDS),
}
_SEPARATORS = re.compile(r"[^a-z0-9]+")
# Levels of a spec's words: `!` decides, then strong, `~` weak and `^` faint (it names a
# task only where no other is named: `transcripts` a job reads are ASR's output, not its work).
_FAINT, _WEAK, _STRONG = 0, 1, 2
_LEVELS: dict[str, int | None] = {"!": None, "~": _WEAK, "^": _FAINT}


def _compiled(spec: _SPEC) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((task, tuple(_spaced(w) for w in words)) for task, words in spec.items())


def _spaced(word: str) -> str:
    """A spec word as `_said` looks for it, its mark (`~`, `!`) kept.

    `[rag]` alone (` rag `); a phrase from the start of a word (`de identif` is not in `code
    identifier`, `d fine` not in `cased finetuned`); a single word anywhere in one (`classif`).
    """
    mark = word[:1] if word[:1] in "~!^" else ""
    bare = word[len(mark):]
    if bare.startswith("["):
        return f"{mark} {bare[1:-1]} "
    return mark + (f" {bare}" if " " in bare else bare)


# A declared task written as a phrase: the job's words, and the tasks that are not narrow.
_DECLARED_WORDS: _SPEC = {
    **_JOB_WORDS,
    "text_classification": (*_JOB_WORDS["text_classification"], "~[topic]", "~[topics]",
                            "~[label]", "~categor", "~[assign]", "~[vs]"),
    # extracting from texts is tagging their spans (`party & defined-term extraction`)
    "token_classification": (*_JOB_WORDS["token_classification"], "~extract"),
    # a declared question answering stays one on images (`document VQA on court forms`);
    # QA alone may be quality assurance (`summarise tickets for weekly QA`)
    "question_answering": (*(w if w != "[qa]" else "~[qa]"
                             for w in _JOB_WORDS["question_answering"]),
                           "[vqa]", "visual question"),
    # passages retrieved for an answer are its input (`answer ... questions from circulars
    # (retrieved passages)`)
    "sentence_similarity": (*(w if w != "retriev" else "~retriev"
                              for w in _JOB_WORDS["sentence_similarity"]),
                            "code search", "[code retrieval]", "[search]", "[ranking]",
                            "feature extract"),
    "object_detection": (*_JOB_WORDS["object_detection"], "bounding box"),
    # (`municipal code`, `HS code`: a code alone may be no program)
    "text_generation": ("~[code]", "coding", "completion", "[chat]", "chatbot", "generat",
                        "grammatical", "gramatical",
                        "[llm]", "assistant", "agent", "copilot", "reasoning", "instruct",
                        "data synth",
                        "~[rag]", "conversation", "[text gen]", "story", "writing", "draft",
                        "[rlhf]", "[ppo]", "[grpo]", "[dpo]"),
    "image_generation": ("text to image", "image gen", "txt2img", "diffusion", "inpaint"),
    "image_captioning": ("caption", "alt text", "image to text", "chartqa", "textvqa", "[ocr]"),
    "other": (*_SCIENCE, "video", "speech synth", "[tts]", "text to speech", "segment", "depth",
              "diariz", "diaris",
              "[3d]", "image to 3d", "text to 3d", "mesh gen", "gaussian splat", "[nerf]",
              "forecast", "time series", "tabular", "recommend", "fraud", "anomaly",
              "[etl]", "music", "audio gen", "voice clon", "topic model", *_SOUNDS),
}
_NAME_SPEC = _compiled(_NAME_WORDS)
_JOB_SPEC = _compiled(_JOB_WORDS)
_DECLARED_SPEC = _compiled(_DECLARED_WORDS)


def _said(text: str, spec: tuple[tuple[str, tuple[str, ...]], ...],
          on_images: dict[str, str] | None = None) -> list[str]:
    """The tasks of `spec` whose words `text` has, in the spec's order.

    Longer words first, each taken out once found: `language detect` is not `detect`.
    `on_images`: what a task becomes where the text says images (`_ON_IMAGES`).
    """
    on_images = _ON_IMAGES if on_images is None else on_images
    spaced = _spaced_text(text)
    # on images, unless they name text about them (`pathology report classification`)
    images = (_IMAGES.search(spaced) is not None or _IMAGE_JOB.search(spaced) is not None) and (
        _TEXT_MEDIUM.search(spaced) is None or _PICTURES.search(spaced) is not None)
    found: dict[str, list[int]] = {}  # task: the levels of the words that name it
    ordered = _tables(spec).ordered
    for word, task, level in map(ordered.__getitem__, _candidates(spaced, spec)):
        if word in spaced:
            if level is None:  # a word that decides
                return [task]
            found.setdefault(task, []).append(level)
            spaced = spaced.replace(word, "  ")
    # Two weak words of one task outweigh one weak word of another (`answer attorney
    # questions ... (RAG)` answers), not a strong one (`ner-tagger --labels PER,LOC` tags).
    strength = {task: max(levels) + (0.5 if levels.count(_WEAK) >= 2 else 0.0)
                for task, levels in found.items()}
    top = max(strength.values(), default=0.0)
    named = [task for task, _ in spec if task in found and strength[task] == top]
    if images:  # classifying photos, questions about images
        named = list(dict.fromkeys(on_images.get(task, task) for task in named))
    return named


def _spaced_text(text: str) -> str:
    """Lower-case words between single spaces, one before and after (`_said` reads these).

    Not the `images` of a container's registry or folder (`.../adx-ml/images/pytorch:2.5`),
    nor `_NO_TASK_WORDS`.
    """
    if "mage" in text and "/" in text:
        text = _CONTAINER_REF.sub(_container_folders, text)
    lowered = text.lower()
    for word in _NO_TASK_WORDS:
        if word in lowered:
            lowered = lowered.replace(word, " ")
    return f" {_SEPARATORS.sub(' ', lowered)} "


# Words that hold a task's word and are none: `embedded` C, the CTranslate2 runtime.
_NO_TASK_WORDS = ("embedded", "ctranslate")
# A container image's reference: a registry's host and path (`us-docker.pkg.dev/acme/images/
# pytorch-train:2.5`, not `s3://cms-images/`), or the folder of an Apptainer or Enroot file
# (`/appl/soft/images/vllm.sif`).
_CONTAINER_REF = re.compile(r"(?i)(?<![\w:/.-])(?:[a-z0-9-]+\.)+[a-z0-9-]+(?::\d+)?/[\w./-]+|"
                            r"[\w./-]+/(?=[\w.-]+\.(?:sif|simg|sqsh)(?!\w))")
_CONTAINER_WORD = re.compile(r"(?i)(?<![a-z])images?(?![a-z])")


def _container_folders(ref: re.Match[str]) -> str:
    """A container reference, its folders' `images` (a repository of containers) left out.

    Its own name stays (`registry.acme.io/vision/image-tagger:1.2` tags images).
    """
    folders, slash, name = ref.group().rpartition("/")
    return _CONTAINER_WORD.sub(" ", folders) + slash + name


# Data sets of images: ImageNet, CIFAR, and medical images (pathology slides and tiles,
# X-rays, scans).
_IMAGE_SETS = (r"imagenet\w*|cifar\w*|camelyon\w*|patholog\w*|histolog\w*|histopath\w*|wsi|"
               r"cxr|x rays?|xrays?|radiograph\w*|mri|dermoscop\w*|fundus|retina\w*|mammogra\w*")
# What an image is when it is a container's (`image-registry.openshift-image-registry.svc`,
# `--image-id docker:...`, `image pull secrets`).
_NOT_PICTURES = (r"(?:registry|id|pull|tag|name|uri|url|repo\w*|digest|build\w*|version|"
                 r"policy|secrets?|stream)(?![a-z])")
# Words that say the job works on images: there, classifying is image classification and
# answering questions is visual question answering (image_captioning). Not `vision`: the
# name of many a team and registry (`ghcr.io/vision/...`).
_IMAGES = re.compile(r" (?:images?(?! " + _NOT_PICTURES + r")|img|photos?|pictures?|visual|vqa|"
                     r"imaging|fotos?|"
                     r"screenshots?|faces?|facial|selfies?|textures?|png|jpe?g|webp|"
                     # pathology's tiles and (whole-)slides, immunohistochemistry stains
                     r"thumbnails?|thumbs?|tiles?|slides?|ihc|"
                     # videos and their frames, cameras, scanned documents
                     r"videos|footage|frames|cams?|cameras?|scans|scanned|" + _IMAGE_SETS +
                     r") ")
# Data that is images, as a job names it (not `img`: `img.sif` is a container).
_IMAGE_DATA = re.compile(r" (?:images|photos|pictures|frames|keyframes|" + _IMAGE_SETS + r") ")
_ON_IMAGES = {"text_classification": "image_classification",
              "question_answering": "image_captioning"}
# ... where a job declares its task: a declared question answering stays one (`document VQA
# on court forms`, as the realistic sets' writers label documents' and figures' questions).
_DECLARED_ON_IMAGES = {"text_classification": "image_classification"}


def _candidates(spaced: str, spec: tuple[tuple[str, tuple[str, ...]], ...]) -> list[int]:
    """Positions in `_by_length(spec)` of the words `spaced` may have, in that order.

    Hundreds of words, a handful in any text: only those whose first three letters in a row
    some word of the text has are looked for (taking words out leaves spaces, which never
    make such a run). What each word of a text may hold is remembered: jobs share words.
    """
    tables = _tables(spec)
    keys, hits = tables.keys, tables.hits
    found = set(tables.always)
    for token in set(spaced.split()):
        hit = hits.get(token)
        if hit is None:
            hit = tuple({i for k in range(len(token) - 2) for i in keys.get(token[k:k + 3], ())})
            if len(hits) < 200_000:
                hits[token] = hit
        found.update(hit)
    return sorted(found)


@dataclass(slots=True)
class _Tables:
    ordered: tuple[tuple[str, str, int | None], ...]  # `_by_length(spec)`
    keys: dict[str, tuple[int, ...]]  # `_by_trigram(spec)`
    always: tuple[int, ...]
    hits: dict[str, tuple[int, ...]]  # a text's word: the positions it may hold


_TABLES: dict[int, tuple[object, _Tables]] = {}


def _tables(spec: tuple[tuple[str, tuple[str, ...]], ...]) -> _Tables:
    """A spec's lookup tables, found by identity (hashing a spec costs more than a lookup)."""
    entry = _TABLES.get(id(spec))
    if entry is None or entry[0] is not spec:
        keys, always = _by_trigram(spec)
        entry = _TABLES[id(spec)] = (spec, _Tables(_by_length(spec), keys, always, {}))
    return entry[1]


@lru_cache(maxsize=4)
def _by_trigram(spec: tuple[tuple[str, tuple[str, ...]], ...]
                ) -> tuple[dict[str, tuple[int, ...]], tuple[int, ...]]:
    """The words of `_by_length(spec)` by their first three letters in a row; those without."""
    keys: dict[str, list[int]] = {}
    always: list[int] = []
    for i, (word, _, _) in enumerate(_by_length(spec)):
        run = next((piece for piece in word.split() if len(piece) >= 3), None)
        if run is None:
            always.append(i)
        else:
            keys.setdefault(run[:3], []).append(i)
    return {k: tuple(v) for k, v in keys.items()}, tuple(always)


@lru_cache(maxsize=4)
def _by_length(spec: tuple[tuple[str, tuple[str, ...]], ...]
               ) -> tuple[tuple[str, str, int | None], ...]:
    """(word, task, level) of a spec, deciding words (level None) first, then longest first."""
    return tuple(sorted(((w.lstrip("~!^"), task, _LEVELS.get(w[:1], _STRONG))
                         for task, words in spec for w in words),
                        key=lambda item: (item[2] is not None, -len(item[0].strip()),
                                          -len(item[0]))))


def model_mentions(record: JobRecord) -> list[str]:
    """The strings a job names its model with: the model field, model flags, gguf files."""
    return list(mentions(record.model, record.command))


def name_task(mentions: Sequence[str]) -> str | None:
    """The task a model is made for as its name says (`...-Guard-8B`, `...-Embedding-4B`).

    The first purpose in _NAME_WORDS' order a name says; None when no name says one, or
    when names disagree.
    """
    tasks = set()
    for mention in mentions:
        found = _name_said(mention)
        if found:
            tasks.add(found[0])
    return tasks.pop() if len(tasks) == 1 else None


@lru_cache(maxsize=65_536)
def _name_said(name: str) -> tuple[str, ...]:
    """The purposes a model's name says, remembered: many jobs name the same model.

    A text encoder named a detector (`distilroberta-base-climate-detector`) classifies text:
    it draws no boxes.
    """
    found = tuple(_said(_NOT_OCR.sub(" ", name), _NAME_SPEC))
    if found[:1] == ("object_detection",) and TEXT_ENCODER.search(name):
        return ("text_classification", *found[1:])
    if found[:1] in (("other",), ("asr",)) and _NER.search(name):  # `OpenMed-NER-ProteinDetect`,
        # `nerkor-hubert-hungarian` (a Hungarian BERT): it tags
        return ("token_classification",)
    if found[:1] in (("summarization",), ("translation",)) and TEXT_ENCODER.search(name) \
            and not _SEQ2SEQ.search(name):  # `Bio_Discharge_Summary_BERT`: read summaries
        return found[1:]
    if found[:1] == ("image_generation",) and _SPOTS.search(name):  # `sdxl-detector` sorts
        return ("image_classification",)  # images into generated or not: it draws none
    return found


# `ocr` inside a word, a vowel after it, is no OCR (`SocraticLM`, `democracy`); at a
# name's end or start it is (`olmOCR`, `trocr`, `OCRFlux`).
_NOT_OCR = re.compile(r"(?i)(?<=[a-z])ocr(?=[aeiouy])")


# A text encoder's name (BERT and its kin): it classifies, tags, embeds; it draws no boxes,
# writes no summaries and sees no images.
TEXT_ENCODER = re.compile(r"(?i)bert|electra|mpnet|minilm|xlm-?r(?![a-z])")
_NER = re.compile(r"(?i)(?<![a-z])ner(?![a-z])|named[-_ ]entity|entity[-_ ]recogn")
_SPOTS = re.compile(r"(?i)detect|classif")
_SEQ2SEQ = re.compile(r"(?i)bart|t5|pegasus|marian|opus|led|bert2bert|encoder[-_]?decoder")


# A code model's name (`Seed-Coder-8B-Instruct`, `granite-8b-code-base`, `Devstral-Small`):
# made for code generation, which is text_generation (the contract). Not `encoder`, `codebert`.
_CODE_MODEL = re.compile(r"(?i)(?:(?<![a-z])(?:coder|code|codellama|codegemma|codeqwen|devstral)"
                         r"(?![a-z])|starcoder|wizardcoder|opencoder|codestral|"
                         r"(?<!en)(?<!de)coder(?![a-z]))")  # `DeepseekCoder`, not an encoder


def names_code_model(mentions: Sequence[str]) -> bool:
    """Whether a model the job names is, by its name, a code model (its last path segment)."""
    return any(_CODE_MODEL.search(model_name(m)) for m in mentions)


def names_image_model(mentions: Sequence[str]) -> bool:
    """Whether a model's name says it classifies images (`solar_defect_vit`, `...-convnext`)."""
    return any("image_classification" in _name_said(m) for m in mentions)


def names_text(record: JobRecord) -> bool:
    """Whether a job's name or command names texts it reads (`tickets`, `reviews`, `emails`)."""
    return _TEXT_NAMED.search(_spaced_text(f"{record.name} {record.command}")) is not None


def says_images(text: str) -> bool:
    """Whether a job's words say it works on images (`--images s3://...`, `photos`)."""
    return _IMAGES.search(_spaced_text(text)) is not None


# Writing about what is seen: reports and findings on scans, descriptions, explanations (not
# a trainer's `--report_to wandb`).
_DESCRIBES = re.compile(r" (?:reports?(?! to )|reporting|findings?|describ\w*|descriptions?|"
                        r"explain\w*|informes?|befund\w*|referto|laudos?)(?= )")


def describes_images(text: str) -> bool:
    """Whether a job's words say it writes about images (`cxr-report-gen --images ...`)."""
    spaced = _spaced_text(text)
    return _DESCRIBES.search(spaced) is not None and _IMAGES.search(spaced) is not None


def word_task(text: str) -> str | None:
    """The one narrow task a job's words name (`dataset=pii-redact`), or None.

    Or a generative task more precise than generating text (`summarize_long.py` of
    `chat_exports`).
    """
    found = _said(text, _JOB_SPEC)
    if len(found) == 2 and "text_generation" in found and not set(found) & NARROW_TASKS:
        found.remove("text_generation")
    return found[0] if len(found) == 1 else None
