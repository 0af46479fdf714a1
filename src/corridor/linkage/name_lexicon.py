"""Common Arabic names with a vocalised romanisation, for generating test data.

Each entry is ``Arabic|romanisation`` where the romanisation is ALA-LC-like
(``ʿ`` ʿayn, ``ʾ`` hamza, macrons for long vowels, dots under emphatics,
``kh``/``sh``/``th``/``dh``/``gh`` digraphs, ``al-`` unassimilated). The
synthetic registration generator spells each name in the other conventions
from here. These are common names, not records of people.
"""

from __future__ import annotations

MALE = """
محمد|Muḥammad
أحمد|Aḥmad
محمود|Maḥmūd
مصطفى|Muṣṭafā
عبد الرحمن|ʿAbd al-Raḥmān
عبد الله|ʿAbd Allāh
عبد العزيز|ʿAbd al-ʿAzīz
عبد القادر|ʿAbd al-Qādir
عبد الكريم|ʿAbd al-Karīm
عبد الرزاق|ʿAbd al-Razzāq
علي|ʿAlī
عمر|ʿUmar
عثمان|ʿUthmān
حسن|Ḥasan
حسين|Ḥusayn
خالد|Khālid
خليل|Khalīl
إبراهيم|Ibrāhīm
إسماعيل|Ismāʿīl
يوسف|Yūsuf
يحيى|Yaḥyā
يونس|Yūnus
موسى|Mūsā
عيسى|ʿĪsā
سعيد|Saʿīd
سعد|Saʿd
سليم|Salīm
سالم|Sālim
سامي|Sāmī
سمير|Samīr
جمال|Jamāl
جميل|Jamīl
كريم|Karīm
ماجد|Mājid
مازن|Māzin
ناصر|Nāṣir
نبيل|Nabīl
وليد|Walīd
وائل|Wāʾil
طارق|Ṭāriq
زياد|Ziyād
زيد|Zayd
فادي|Fādī
رامي|Rāmī
هاني|Hānī
هشام|Hishām
حسام|Ḥusām
بلال|Bilāl
أنس|Anas
أيمن|Ayman
أسامة|Usāma
قاسم|Qāsim
منصور|Manṣūr
مراد|Murād
رشيد|Rashīd
شادي|Shādī
غسان|Ghassān
فيصل|Fayṣal
ضياء|Ḍiyāʾ
ذياب|Dhiyāb
ثامر|Thāmir
صالح|Ṣāliḥ
صلاح الدين|Ṣalāḥ al-Dīn
نور الدين|Nūr al-Dīn
أبو بكر|Abū Bakr
حمزة|Ḥamza
طه|Ṭāhā
عادل|ʿĀdil
عماد|ʿImād
فراس|Firās
مهدي|Mahdī
""".strip().splitlines()

FEMALE = """
فاطمة|Fāṭima
عائشة|ʿĀʾisha
خديجة|Khadīja
مريم|Maryam
زينب|Zaynab
آمنة|Āmina
نور|Nūr
هدى|Hudā
سارة|Sāra
ليلى|Laylā
سلمى|Salmā
رنا|Ranā
رانيا|Rāniya
ريم|Rīm
لينا|Līnā
دينا|Dīnā
هبة|Hiba
منى|Munā
نادية|Nādiya
سامية|Sāmiya
سعاد|Suʿād
وفاء|Wafāʾ
أسماء|Asmāʾ
إيمان|Īmān
حنان|Ḥanān
جميلة|Jamīla
كريمة|Karīma
نبيلة|Nabīla
رقية|Ruqayya
صفية|Ṣafiyya
حليمة|Ḥalīma
زهراء|Zahrāʾ
ياسمين|Yāsmīn
شيماء|Shaymāʾ
غادة|Ghāda
علا|ʿUlā
بشرى|Bushrā
نجلاء|Najlāʾ
رحاب|Riḥāb
لبنى|Lubnā
""".strip().splitlines()

FAMILY = """
الحلبي|al-Ḥalabī
المصري|al-Miṣrī
الشامي|al-Shāmī
الخطيب|al-Khaṭīb
الحداد|al-Ḥaddād
النجار|al-Najjār
العلي|al-ʿAlī
الأحمد|al-Aḥmad
الحسن|al-Ḥasan
الحسين|al-Ḥusayn
الخليل|al-Khalīl
العمر|al-ʿUmar
الزعبي|al-Zuʿbī
الحمصي|al-Ḥimṣī
الإدلبي|al-Idlibī
الدرعاوي|al-Darʿāwī
الحوراني|al-Ḥawrānī
الكردي|al-Kurdī
التميمي|al-Tamīmī
الشمري|al-Shammarī
العبيدي|al-ʿUbaydī
الجبوري|al-Jubūrī
الدليمي|al-Dulaymī
السعدي|al-Saʿdī
الرفاعي|al-Rifāʿī
القاسم|al-Qāsim
الصالح|al-Ṣāliḥ
الموسى|al-Mūsā
اليوسف|al-Yūsuf
العثمان|al-ʿUthmān
البكري|al-Bakrī
الطحان|al-Ṭaḥḥān
الخياط|al-Khayyāṭ
الصباغ|al-Ṣabbāgh
العطار|al-ʿAṭṭār
الحمود|al-Ḥammūd
الشيخ|al-Shaykh
الأسعد|al-Asʿad
البيطار|al-Bayṭār
القباني|al-Qabbānī
الزين|al-Zayn
الفارس|al-Fāris
الراوي|al-Rāwī
الظاهر|al-Ẓāhir
الذهبي|al-Dhahabī
الساعدي|al-Sāʿidī
المحمد|al-Muḥammad
العبدالله|al-ʿAbd Allāh
الدباغ|al-Dabbāgh
النعيمي|al-Nuʿaymī
""".strip().splitlines()

PLACES = """
حلب|Ḥalab|SY02
حمص|Ḥimṣ|SY04
حماة|Ḥamāh|SY05
إدلب|Idlib|SY07
درعا|Darʿā|SY12
دير الزور|Dayr al-Zūr|SY09
الرقة|al-Raqqa|SY11
الموصل|al-Mawṣil|IQ-NI
الرمادي|al-Ramādī|IQ-AN
الفلوجة|al-Fallūja|IQ-AN
""".strip().splitlines()


def entries(lines: list[str]) -> list[tuple[str, ...]]:
    return [tuple(line.split("|")) for line in lines]
