"""Seeded, realistic demo data with planted effects: survey answers, branch-month KPIs and customer KPIs.

:func:`generate` turns a journey into a survey in the survey contract (one row = one answer about one
touchpoint), a KPI table per branch and month and a customer-level KPI table, and returns the *truth* the app
must recover from them (:class:`PlantedEffects`): a break at one touchpoint in one region, two key drivers of
the overall NPS, the link of revenue and churn to NPS, a KPI with no link at all, an action-like improvement in
some regions and an untouched control touchpoint. Pure: it returns tables, writing them is the caller's job.

The generative model, in short (all of it vectorised with numpy; one seeded generator, fixed call order):

- **World.** 8 regions (Czech and Polish), 50 branches named after towns, 2–4 employees per branch, 4 sales
  channels, 3 customer types. Static effects of branch, region, channel, customer type and employee.
- **Respondents.** Journey-survey respondents (~40 %) rate every *core* touchpoint (7 main ones of the journey)
  plus about one other; pulse respondents rate one or two touchpoints right after the event (service moments
  more often). Everyone also gives one overall answer (touchpoint ``_overall``, NPS only).
- **Experience.** Respondent *i* at touchpoint *t* has a latent experience on the CSAT scale
  ``X = base_t + static effects + season + branch dynamics + planted shifts + 0.75·(0.4·halo_i + 0.92·u_it)``.
  CSAT = round(X + N(0, 0.55)) clipped to 1–5; transactional NPS = round(7.6 + 1.25·(X − 4) + N(0, 2.4))
  clipped to 0–10 (on 85 % of rows); CES (effort touchpoints only, 7 = very easy) = round(5.4 + 1.3·(X − 4) +
  N(0, 0.9)) clipped to 1–7.
- **Overall NPS** = round(8.5 + 0.3·Σ_t w_t·(X_it − base_t) + N(0, 1.6)) clipped to 0–10, the sum over the
  core touchpoints and the other touchpoints the respondent rated; the two drivers weigh 4, the rest 1.
- **Branch dynamics.** Each branch drifts and wobbles over the months (trend + AR(1) shocks), demeaned within
  its region month by month, so region-level series stay flat while branches vary; not applied to the
  untouched touchpoint.
- **Branch-month effects** (option ``branch_icc``, 0.02 by default): a random effect per branch and month on the
  latent experience, re-drawn every month, its variance a share (an ICC) of the experience's variance.
- **KPIs** per branch-month are generated from the branch-month NPS (see
  :attr:`PlantedEffects.kpi_nps_touchpoint`): by default (option ``kpis_from_latent``) the *true* NPS of the cell's
  respondents, which the observed NPS measures with the sampling noise of a few dozen answers, as on real data (a
  plain regression on the observed NPS is attenuated; :func:`workbench.analysis.roi.panel_link` corrects it), or
  the NPS *observed* in the generated overall answers, which a plain regression recovers without attenuation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from workbench.core import formatting
from workbench.core.contract import OVERALL
from workbench.core.folding import fold
from workbench.core.i18n import gettext, ngettext
from workbench.core.journey import Journey
from workbench.data import demosources

if TYPE_CHECKING:
    import pyarrow as pa

# ------------------------------------------------------------------ the world

# (region, country, branches); Czech regions first, then Polish ones. 50 branches in 8 regions.
REGIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Praha",
        "cz",
        (
            "Praha-Smíchov",
            "Praha-Karlín",
            "Praha-Chodov",
            "Praha-Letňany",
            "Praha-Zličín",
            "Praha-Černý Most",
            "Praha-Vinohrady",
            "Praha-Holešovice",
            "Praha-Modřany",
        ),
    ),
    ("Střední Čechy", "cz", ("Kladno", "Mladá Boleslav", "Kolín", "Beroun", "Příbram", "Benešov")),
    (
        "Jižní Morava",
        "cz",
        ("Brno-Líšeň", "Brno-Královo Pole", "Brno-Bystrc", "Brno-Židenice", "Znojmo", "Břeclav", "Hodonín"),
    ),
    ("Severní Morava", "cz", ("Ostrava-Poruba", "Ostrava-Zábřeh", "Olomouc", "Opava", "Frýdek-Místek")),
    ("Śląsk", "pl", ("Katowice-Ligota", "Katowice-Brynów", "Gliwice", "Sosnowiec", "Bielsko-Biała", "Rybnik")),
    (
        "Mazowsze",
        "pl",
        (
            "Warszawa-Mokotów",
            "Warszawa-Wola",
            "Warszawa-Praga",
            "Warszawa-Ursynów",
            "Warszawa-Bemowo",
            "Radom",
            "Płock",
        ),
    ),
    ("Małopolska", "pl", ("Kraków-Nowa Huta", "Kraków-Podgórze", "Kraków-Krowodrza", "Tarnów", "Nowy Sącz")),
    ("Wielkopolska", "pl", ("Poznań-Jeżyce", "Poznań-Wilda", "Poznań-Rataje", "Kalisz", "Konin")),
)
BREAK_REGION = "Jižní Morava"
IMPROVED_REGIONS = ("Praha", "Střední Čechy", "Mazowsze", "Małopolska")  # the action's pilot regions
CHANNELS = ("web", "app", "phone", "branch")
CHANNEL_SHARES = (0.45, 0.30, 0.10, 0.15)
CUSTOMER_TYPES = ("new", "returning", "business")
CUSTOMER_TYPE_SHARES = (0.30, 0.55, 0.15)
NPS_GROUPS = ("promoter", "passive", "detractor")

_FIRST_NAMES = {
    "cz": (
        ("Jan", "Petr", "Tomáš", "Martin", "Jakub", "Lukáš", "Pavel", "Ondřej", "Jiří", "Michal", "David", "Filip"),
        (
            "Jana",
            "Petra",
            "Lucie",
            "Kateřina",
            "Eva",
            "Tereza",
            "Martina",
            "Veronika",
            "Hana",
            "Lenka",
            "Markéta",
            "Zuzana",
        ),
    ),
    "pl": (
        ("Piotr", "Krzysztof", "Tomasz", "Paweł", "Michał", "Marcin", "Jakub", "Łukasz", "Adam", "Grzegorz"),
        ("Anna", "Katarzyna", "Magdalena", "Agnieszka", "Joanna", "Monika", "Aleksandra", "Ewa", "Karolina", "Marta"),
    ),
}
_SURNAMES = {  # (male, female)
    "cz": (
        ("Novák", "Nováková"),
        ("Svoboda", "Svobodová"),
        ("Novotný", "Novotná"),
        ("Dvořák", "Dvořáková"),
        ("Černý", "Černá"),
        ("Procházka", "Procházková"),
        ("Kučera", "Kučerová"),
        ("Veselý", "Veselá"),
        ("Horák", "Horáková"),
        ("Němec", "Němcová"),
        ("Marek", "Marková"),
        ("Pokorný", "Pokorná"),
        ("Král", "Králová"),
        ("Růžička", "Růžičková"),
    ),
    "pl": (
        ("Kowalski", "Kowalska"),
        ("Nowak", "Nowak"),
        ("Wiśniewski", "Wiśniewska"),
        ("Wójcik", "Wójcik"),
        ("Kowalczyk", "Kowalczyk"),
        ("Kamiński", "Kamińska"),
        ("Lewandowski", "Lewandowska"),
        ("Zieliński", "Zielińska"),
        ("Szymański", "Szymańska"),
        ("Woźniak", "Woźniak"),
        ("Dąbrowski", "Dąbrowska"),
        ("Mazur", "Mazur"),
    ),
}

# Survey volume and sales by calendar month (Black Friday in November, the December peak).
_MONTH_VOLUME = {
    1: 0.85,
    2: 0.85,
    3: 0.95,
    4: 0.95,
    5: 1.0,
    6: 0.95,
    7: 0.9,
    8: 0.9,
    9: 1.0,
    10: 1.05,
    11: 1.15,
    12: 1.4,
}
# Latent shift of delivery/field touchpoints by calendar month (the peak strains couriers and technicians).
_MONTH_STRAIN = {11: -0.05, 12: -0.15}

# ------------------------------------------------------------------ model constants

CORE_SIZE = 7
DRIVER_WEIGHT, OTHER_WEIGHT = 4.0, 1.0
EXPERIENCE_SD, HALO, CSAT_NOISE = 0.75, 0.4, 0.55
NPS_CENTRE, NPS_SLOPE, NPS_NOISE, NPS_ASKED = 7.6, 1.25, 2.4, 0.85
CES_CENTRE, CES_SLOPE, CES_NOISE = 5.4, 1.3, 0.9
OVERALL_CENTRE, OVERALL_SCALE, OVERALL_NOISE = 8.5, 0.3, 1.6
# Design sizes; the realised truth is in PlantedEffects. The break is 1.1 CSAT points (0.9 before branch-month
# effects): with them, a small branch of a region outside the pilot reads ~0.95 below the rest at the improved
# touchpoint, and the planted break must stay the largest on the list.
BREAK_CSAT, IMPROVE_CSAT, BREAK_NPS = 1.1, 0.5, 25.0
BRANCH_ICC = 0.02  # branch-month random effects: 2 % of the experience's variance, re-drawn every month
REVENUE_SEMI_ELASTICITY, CHURN_SLOPE = 0.004, -0.03
RETENTION = {"promoter": 0.9, "passive": 0.8, "detractor": 0.6}
COMMENT_SHARE = 0.25
JOURNEY_ROWS_TARGET = 5.0  # mean answer rows per respondent (sets the journey/pulse mix)

# ------------------------------------------------------------------ touchpoint themes

# Checked in this order on "key name"; the channel decides when no word matches.
_THEME_WORDS = (
    ("refund", r"refund|return"),
    ("support", r"support|contact|chat|call\b|callback|complaint|helpdesk|hotline"),
    ("notify", r"notification|confirmation|reminder|status|update|registered"),
    ("delivery", r"deliver|courier|carrier|parcel|locker|pick-?up|shipment|dispatch|picking"),
    (
        "field",
        (
            r"install|visit|technician|repair|commissioning|adjuster|handover|test-drive|connection|garage|"
            r"site-survey|service"
        ),
    ),
    (
        "checkout",
        (
            r"checkout|cart|payment|order|contract|financ|quote|offer|booking|invoice|credit|trade-in|"
            r"valuation|signed"
        ),
    ),
    ("product", r"product|unboxing|quality|review"),
    ("digital", r"page|search|web|app\b|site|online|ads?\b|listing|calculator|upload|portal"),
)
_CHANNEL_THEMES = {
    "web": "digital",
    "app": "digital",
    "ads": "digital",
    "email": "notify",
    "sms": "notify",
    "letter": "notify",
    "phone": "support",
    "chat": "support",
    "call centre": "support",
    "courier": "delivery",
    "carrier": "delivery",
    "parcel locker": "delivery",
    "in person": "field",
    "partner": "field",
    "branch": "field",
    "showroom": "field",
}
_EFFORT_WORDS = (
    r"checkout|cart|payment|return|support|contact|claim|complaint|booking|registration|upload|"
    r"fnol|application|financ|trade-in|subsidy|failed"
)
_NO_EFFORT_THEMES = {"notify", "product"}  # reminders, confirmations and reviews ask no effort question
_HUMAN_CHANNELS = {"courier", "phone", "chat", "call centre", "branch", "showroom", "in person", "store"}
_EXCEPTION_WORDS = (
    r"fail|abandon|reject|complaint|second|detractor|warranty|nurture|partial|return|refund|"
    r"reminder|callback"
)
_SEASONAL_THEMES = {"delivery", "field"}
_THEME_CSAT = {
    "delivery": 4.1,
    "field": 4.2,
    "checkout": 4.1,
    "notify": 4.3,
    "support": 3.8,
    "refund": 3.9,
    "product": 4.3,
    "digital": 4.2,
    "generic": 4.0,
}

# ------------------------------------------------------------------ comments

# theme → sentiment → language → short verbatims. "overall" is for the _overall answers.
PHRASES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "delivery": {
        "neg": {
            "cs": (
                "Zásilka přišla o tři dny později, než bylo slíbeno.",
                "Kurýr byl nepříjemný a balík hodil přes plot.",
                "Kurýr nezavolal a nechal jen lístek.",
                "Doručení se opozdilo, nikdo nedal vědět.",
                "Balík dorazil poškozený.",
            ),
            "pl": (
                "Paczka przyszła z trzydniowym opóźnieniem.",
                "Kurier był niemiły i rzucił paczkę pod drzwi.",
                "Kurier nie zadzwonił, zostawił tylko awizo.",
                "Dostawa się spóźniła i nikt nie dał znać.",
                "Paczka dotarła uszkodzona.",
            ),
            "en": (
                "Delivery was three days late.",
                "The courier was rude and left the parcel outside.",
                "Courier never called, just left a note.",
                "Late delivery and no update at all.",
                "Parcel arrived damaged.",
            ),
        },
        "neu": {
            "cs": ("Doručení v pořádku, jen trochu později.", "Kurýr přijel mimo ohlášené okno."),
            "pl": ("Dostawa w porządku, tylko trochę później.", "Kurier przyjechał poza podanym oknem czasowym."),
            "en": ("Delivery ok, a bit later than expected.", "Courier came outside the time window."),
        },
        "pos": {
            "cs": (
                "Rychlé doručení, kurýr byl moc ochotný.",
                "Balík přišel druhý den, skvělé.",
                "Milý kurýr, vše proběhlo hladce.",
            ),
            "pl": (
                "Szybka dostawa, kurier bardzo pomocny.",
                "Paczka przyszła następnego dnia, super.",
                "Miły kurier, wszystko sprawnie.",
            ),
            "en": (
                "Fast delivery, very helpful courier.",
                "Parcel arrived next day, great.",
                "Friendly courier, all smooth.",
            ),
        },
    },
    "field": {
        "neg": {
            "cs": (
                "Technik přišel pozdě a nic nevysvětlil.",
                "Montáž se musela opakovat.",
                "Po návštěvě zůstal nepořádek.",
                "Termín návštěvy byl dvakrát zrušen.",
            ),
            "pl": (
                "Technik spóźnił się i nic nie wyjaśnił.",
                "Montaż trzeba było powtarzać.",
                "Po wizycie został bałagan.",
                "Termin wizyty odwołano dwa razy.",
            ),
            "en": (
                "Technician was late and explained nothing.",
                "Installation had to be redone.",
                "They left a mess after the visit.",
                "Appointment was cancelled twice.",
            ),
        },
        "neu": {
            "cs": ("Návštěva proběhla, ale trvala déle.", "Technik v pořádku, čekání dlouhé."),
            "pl": ("Wizyta się odbyła, ale trwała dłużej.", "Technik w porządku, długie czekanie."),
            "en": ("Visit done, but took longer than planned.", "Technician fine, long wait."),
        },
        "pos": {
            "cs": (
                "Technik byl profesionál, vše vysvětlil.",
                "Přišli přesně na čas, čistá práce.",
                "Ochotný a šikovný technik.",
            ),
            "pl": (
                "Technik to profesjonalista, wszystko wyjaśnił.",
                "Przyjechali punktualnie, czysta robota.",
                "Pomocny i sprawny technik.",
            ),
            "en": (
                "Professional technician, explained everything.",
                "On time and tidy work.",
                "Helpful, skilled technician.",
            ),
        },
    },
    "checkout": {
        "neg": {
            "cs": (
                "Platba kartou neprošla napoprvé.",
                "Objednávka je zbytečně složitá, moc kroků.",
                "Při placení mi to vyhodilo chybu.",
                "Nešlo změnit doručovací adresu.",
            ),
            "pl": (
                "Płatność kartą nie przeszła za pierwszym razem.",
                "Zamówienie jest zbyt skomplikowane, za dużo kroków.",
                "Przy płatności wyskoczył błąd.",
                "Nie dało się zmienić adresu dostawy.",
            ),
            "en": (
                "Card payment failed the first time.",
                "Checkout has too many steps.",
                "Got an error when paying.",
                "Could not change the delivery address.",
            ),
        },
        "neu": {
            "cs": ("Objednávka prošla, ale registrace je otravná.", "Docela v pohodě, jen pomalé načítání."),
            "pl": ("Zamówienie poszło, ale rejestracja jest irytująca.", "W miarę ok, tylko wolne ładowanie."),
            "en": ("Order went through, but registration is annoying.", "Fine overall, slow loading though."),
        },
        "pos": {
            "cs": ("Jednoduchá a rychlá objednávka.", "Zaplaceno během minuty, super.", "Přehledný košík i platba."),
            "pl": ("Proste i szybkie zamówienie.", "Zapłacone w minutę, super.", "Przejrzysty koszyk i płatność."),
            "en": ("Easy and quick checkout.", "Paid within a minute, great.", "Clear cart and payment."),
        },
    },
    "notify": {
        "neg": {
            "cs": (
                "SMS s časem doručení vůbec nepřišla.",
                "Sledování zásilky neukazovalo nic.",
                "Přišly mi tři stejné e-maily.",
                "Odhadovaný čas doručení nesedí.",
            ),
            "pl": (
                "SMS z godziną dostawy w ogóle nie przyszedł.",
                "Śledzenie przesyłki nic nie pokazywało.",
                "Dostałem trzy takie same maile.",
                "Szacowany czas dostawy się nie zgadza.",
            ),
            "en": (
                "The SMS with the delivery time never came.",
                "Tracking showed nothing.",
                "Got the same email three times.",
                "Estimated delivery time was wrong.",
            ),
        },
        "neu": {
            "cs": ("Informace přišly, ale pozdě.", "E-mail v pořádku, trochu dlouhý."),
            "pl": ("Informacje przyszły, ale późno.", "Mail w porządku, trochę za długi."),
            "en": ("Info arrived, but late.", "Email fine, a bit long."),
        },
        "pos": {
            "cs": (
                "Skvělé sledování zásilky v reálném čase.",
                "Přesné info o čase doručení.",
                "Potvrzení přišlo hned.",
            ),
            "pl": (
                "Świetne śledzenie przesyłki na żywo.",
                "Dokładna informacja o godzinie dostawy.",
                "Potwierdzenie przyszło od razu.",
            ),
            "en": ("Great real-time tracking.", "Accurate delivery time info.", "Confirmation arrived instantly."),
        },
    },
    "support": {
        "neg": {
            "cs": (
                "Na lince jsem čekal přes půl hodiny.",
                "Operátorka byla nepříjemná a nepomohla.",
                "Chatbot nerozumí a člověka jsem nesehnal.",
                "Slíbili zavolat zpět a nezavolali.",
            ),
            "pl": (
                "Na infolinii czekałem ponad pół godziny.",
                "Konsultantka była niemiła i nie pomogła.",
                "Chatbot nic nie rozumie, nie da się dodzwonić do człowieka.",
                "Obiecali oddzwonić i nie oddzwonili.",
            ),
            "en": (
                "Waited over half an hour on the line.",
                "The agent was rude and unhelpful.",
                "Chatbot is useless, could not reach a human.",
                "They promised a call back that never came.",
            ),
        },
        "neu": {
            "cs": ("Pomohli, ale až napodruhé.", "Dlouhé čekání, pak už to šlo."),
            "pl": ("Pomogli, ale dopiero za drugim razem.", "Długie czekanie, potem już poszło."),
            "en": ("Helped, but only on the second try.", "Long wait, then it was fine."),
        },
        "pos": {
            "cs": (
                "Paní na podpoře byla moc ochotná.",
                "Problém vyřešen během pár minut.",
                "Rychlá a vstřícná podpora.",
            ),
            "pl": (
                "Pani z obsługi była bardzo pomocna.",
                "Problem rozwiązany w kilka minut.",
                "Szybka i życzliwa obsługa.",
            ),
            "en": ("Support agent was really helpful.", "Problem solved in minutes.", "Quick and friendly support."),
        },
    },
    "refund": {
        "neg": {
            "cs": (
                "Na vrácení peněz čekám už tři týdny.",
                "Vrácení zboží je komplikované.",
                "Peníze se vrátily jen částečně.",
                "Nikdo mi nepotvrdil přijetí vratky.",
            ),
            "pl": (
                "Na zwrot pieniędzy czekam już trzy tygodnie.",
                "Zwrot towaru jest skomplikowany.",
                "Pieniądze wróciły tylko częściowo.",
                "Nikt nie potwierdził przyjęcia zwrotu.",
            ),
            "en": (
                "Still waiting three weeks for my refund.",
                "Returning the item is complicated.",
                "Only part of the refund arrived.",
                "Nobody confirmed they received my return.",
            ),
        },
        "neu": {
            "cs": ("Peníze přišly, ale trvalo to.", "Vratka ok, štítek se špatně tiskl."),
            "pl": ("Pieniądze przyszły, ale to trwało.", "Zwrot ok, etykieta słabo się drukowała."),
            "en": ("Money came back, but slowly.", "Return ok, label was hard to print."),
        },
        "pos": {
            "cs": (
                "Peníze zpět do dvou dnů, paráda.",
                "Vrácení přes box bez tisku štítku, super.",
                "Bezproblémová vratka.",
            ),
            "pl": (
                "Pieniądze wróciły w dwa dni, super.",
                "Zwrot przez paczkomat bez drukowania etykiety.",
                "Bezproblemowy zwrot.",
            ),
            "en": (
                "Refund within two days, great.",
                "Return via locker without printing a label.",
                "Hassle-free return.",
            ),
        },
    },
    "product": {
        "neg": {
            "cs": (
                "Produkt neodpovídá fotkám.",
                "Chyběl návod a jedna součástka.",
                "Zboží bylo špatně zabalené.",
                "Kvalita horší, než jsem čekal.",
            ),
            "pl": (
                "Produkt nie zgadza się ze zdjęciami.",
                "Brakowało instrukcji i jednej części.",
                "Towar był źle zapakowany.",
                "Jakość gorsza, niż się spodziewałem.",
            ),
            "en": (
                "Product does not match the photos.",
                "Manual and one part were missing.",
                "Item was badly packed.",
                "Quality worse than expected.",
            ),
        },
        "neu": {
            "cs": ("Produkt ok, balení zbytečně velké.", "Odpovídá popisu, nic extra."),
            "pl": ("Produkt ok, opakowanie niepotrzebnie duże.", "Zgodny z opisem, nic szczególnego."),
            "en": ("Product ok, packaging far too big.", "As described, nothing special."),
        },
        "pos": {
            "cs": (
                "Přesně podle popisu, kvalitní zboží.",
                "Dobře zabalené, vše sedí.",
                "Skvělé fotky i recenze na stránce.",
            ),
            "pl": (
                "Dokładnie jak w opisie, dobra jakość.",
                "Dobrze zapakowane, wszystko się zgadza.",
                "Świetne zdjęcia i opinie na stronie.",
            ),
            "en": (
                "Exactly as described, good quality.",
                "Well packed, all correct.",
                "Great photos and reviews on the page.",
            ),
        },
    },
    "digital": {
        "neg": {
            "cs": (
                "Aplikace pořád padá.",
                "Stránka se načítá strašně pomalu.",
                "Vyhledávání nenajde, co hledám.",
                "Reklama slibovala jinou cenu.",
            ),
            "pl": (
                "Aplikacja ciągle się zawiesza.",
                "Strona ładuje się strasznie wolno.",
                "Wyszukiwarka nie znajduje tego, czego szukam.",
                "Reklama obiecywała inną cenę.",
            ),
            "en": (
                "The app keeps crashing.",
                "The site loads really slowly.",
                "Search does not find what I need.",
                "The ad promised a different price.",
            ),
        },
        "neu": {
            "cs": ("Web je ok, ale nepřehledný.", "Funguje to, jen mobilní verze je horší."),
            "pl": ("Strona ok, ale mało przejrzysta.", "Działa, tylko wersja mobilna gorsza."),
            "en": ("Site ok but cluttered.", "Works, mobile version is worse."),
        },
        "pos": {
            "cs": (
                "Přehledný web, rychle jsem našel, co chci.",
                "Aplikace funguje skvěle.",
                "Snadné porovnání produktů.",
            ),
            "pl": (
                "Przejrzysta strona, szybko znalazłem, co chciałem.",
                "Aplikacja działa świetnie.",
                "Łatwe porównanie produktów.",
            ),
            "en": ("Clear site, found what I wanted fast.", "The app works great.", "Easy to compare products."),
        },
    },
    "generic": {
        "neg": {
            "cs": ("Nic nefungovalo, jak mělo.", "Velké zklamání.", "Špatná komunikace."),
            "pl": ("Nic nie działało jak trzeba.", "Duże rozczarowanie.", "Słaba komunikacja."),
            "en": ("Nothing worked as it should.", "Big disappointment.", "Poor communication."),
        },
        "neu": {
            "cs": ("Ušlo to.", "Nic zvláštního."),
            "pl": ("Może być.", "Nic szczególnego."),
            "en": ("It was okay.", "Nothing special."),
        },
        "pos": {
            "cs": ("Všechno v pořádku, díky.", "Rychlé a bez problémů."),
            "pl": ("Wszystko w porządku, dzięki.", "Szybko i bez problemów."),
            "en": ("All good, thanks.", "Quick and no problems."),
        },
    },
    "overall": {
        "neg": {
            "cs": (
                "Už u vás nenakoupím.",
                "Sliby se nedodržují, zklamání.",
                "Drahé a pomalé.",
                "Konkurence je spolehlivější.",
            ),
            "pl": (
                "Więcej u was nie kupię.",
                "Obietnice nie są dotrzymywane, rozczarowanie.",
                "Drogo i wolno.",
                "Konkurencja jest bardziej niezawodna.",
            ),
            "en": (
                "Won't shop here again.",
                "Promises not kept, disappointed.",
                "Expensive and slow.",
                "Competitors are more reliable.",
            ),
        },
        "neu": {
            "cs": ("Celkově průměr, nic extra.", "Ceny ok, servis by mohl být lepší."),
            "pl": ("Ogólnie przeciętnie, nic szczególnego.", "Ceny ok, obsługa mogłaby być lepsza."),
            "en": ("Average overall, nothing special.", "Prices fine, service could be better."),
        },
        "pos": {
            "cs": (
                "Spokojenost, doporučuji známým.",
                "Nakupuji pravidelně, vše funguje.",
                "Skvělé ceny a rychlé doručení.",
            ),
            "pl": (
                "Jestem zadowolony, polecam znajomym.",
                "Kupuję regularnie, wszystko działa.",
                "Świetne ceny i szybka dostawa.",
            ),
            "en": (
                "Very happy, recommending to friends.",
                "I shop here regularly, everything works.",
                "Great prices and fast delivery.",
            ),
        },
    },
}
THEMES = tuple(PHRASES)
SENTIMENTS = ("neg", "neu", "pos")
LANGUAGES = ("cs", "pl", "en")
FOLDED_SHARE = 0.3  # Czech/Polish comments typed without diacritics, lower case, no full stop
MIXED_SHARE = 0.12  # comments whose tone is neutral whatever the score


def typed_without_diacritics(text: str) -> str:
    """How people type without diacritics: 'Kurýr byl nepříjemný.' → 'kuryr byl neprijemny'."""
    return fold(text).rstrip(".!")


def comment_truth() -> dict[str, tuple[str, str, str]]:
    """Every comment text the generator can write → (theme, sentiment, language); folded variants included."""
    truth: dict[str, tuple[str, str, str]] = {}
    for theme, by_sentiment in PHRASES.items():
        for sentiment, by_language in by_sentiment.items():
            for language, phrases in by_language.items():
                for phrase in phrases:
                    truth[phrase] = (theme, sentiment, language)
                    if language != "en":
                        truth.setdefault(typed_without_diacritics(phrase), (theme, sentiment, language))
    return truth


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class PlantedEffects:
    """The truth planted in the demo data, which the app's analyses must recover.

    Attributes
    ----------
    break_touchpoint, break_region, break_from :
        From the month ``break_from`` (a month start) on, answers about ``break_touchpoint`` in ``break_region``
        are worse; other regions are untouched. (A delivery or field touchpoint also dips slightly every
        November and December in all regions, so a plain before/after shows a drop ~0.03 smaller than planted;
        a difference-in-differences against the other regions does not.)
    break_csat_drop, break_nps_drop :
        The expected drop of mean CSAT (1–5 points) and of NPS (points on −100…100) caused by the break,
        averaged over the affected answers (expected score without the break minus with it; positive = worse).
    driver_touchpoints :
        The two touchpoints (in journey order) whose experience drives the respondent's overall NPS most.
    driver_weights :
        Weight of every rated touchpoint in the overall-score model (drivers 4, the rest 1). The overall latent
        score sums weight × experience over the core touchpoints and the other touchpoints the respondent rated.
    core_touchpoints :
        The touchpoints every journey-survey respondent rates (complete cases for respondent-level driver
        analysis); they include both drivers and the untouched touchpoint.
    revenue_semi_elasticity :
        d log(revenue) per 1 NPS point, per branch-month: log(revenue) = branch effect + month effect +
        coefficient · NPS + N(0, 0.04²).
    churn_slope :
        d churn_rate (percentage points) per 1 NPS point, per branch-month: churn_rate = 4.5 + branch effect +
        slope · NPS + N(0, 0.25²) (no month effect).
    kpi_nps_touchpoint :
        Which NPS the KPIs depend on: the branch-month NPS of the survey's answers with this touchpoint key
        (``_overall``, the relationship NPS), counting answers by the month of their ``ts``; the NPS observed, or
        with ``kpis_from_latent`` the true one (the expected NPS of the cell's respondents given their latent
        experience), which the observed NPS measures with sampling noise.
    kpis_from_latent, branch_icc :
        The generator's options (see :func:`generate`).
    zero_link_kpi :
        A KPI column generated independent of NPS (branch level plus noise only).
    improved_touchpoint, improved_regions, improved_from, improvement_csat :
        From ``improved_from`` (a month start) on, ``improved_touchpoint`` gets better in ``improved_regions``
        only; ``improvement_csat`` is the expected rise of mean CSAT over the affected answers (NPS and CES rise
        with it). Other regions stay flat at that touchpoint, so a difference-in-differences sees it too.
    untouched_touchpoint :
        A touchpoint with no change at all over time in any region (no season, no branch dynamics, no action):
        the control for action verification.
    retention_by_group :
        Probability that a customer is retained (``kpi_customer.retained``) by the NPS group of their overall
        answer: promoter (9–10), passive (7–8), detractor (0–6).
    """

    break_touchpoint: str
    break_region: str
    break_from: date
    break_csat_drop: float
    break_nps_drop: float
    driver_touchpoints: tuple[str, ...]
    driver_weights: Mapping[str, float]
    revenue_semi_elasticity: float
    churn_slope: float
    zero_link_kpi: str
    improved_touchpoint: str
    improved_regions: tuple[str, ...]
    improved_from: date
    improvement_csat: float
    untouched_touchpoint: str
    retention_by_group: Mapping[str, float]
    core_touchpoints: tuple[str, ...] = ()
    kpi_nps_touchpoint: str = OVERALL
    kpis_from_latent: bool = False
    branch_icc: float = 0.0


@dataclass(frozen=True)
class DemoData:
    """Generated tables and the truth behind them.

    ``survey`` follows the survey contract (response_id, respondent_id, ts, touchpoint, nps, csat, ces, comment,
    region, branch, channel, employee, customer_type; sorted by ts). ``employee`` is null where no employee is
    involved (self-service touchpoints, external partners, overall answers). ``kpi_period`` has one row per
    branch and month: period (date32, month start), region, branch, revenue, orders, churn_rate (%),
    complaints, resolution_hours. ``kpi_customer`` has one row per respondent: respondent_id, region, branch,
    revenue (the following 12 months), retained, repeat_purchases, and the CRM's name, email, account_manager
    (business customers only), products and referrals. ``sources`` holds the reviews and audits of
    :mod:`workbench.data.demosources`.
    """

    survey: pa.Table
    kpi_period: pa.Table
    kpi_customer: pa.Table
    effects: PlantedEffects = field(repr=False)
    sources: demosources.Sources = field(repr=False)  # reviews and mystery-shopping audits


# ------------------------------------------------------------------ the plan: which touchpoint plays which role


@dataclass(frozen=True)
class _Plan:
    keys: tuple[str, ...]  # rated touchpoints in journey order
    themes: tuple[str, ...]
    effort: np.ndarray  # asks CES
    human: np.ndarray  # an employee of the branch serves it
    seasonal: np.ndarray
    entry: np.ndarray
    csat_goal: tuple[float | None, ...]
    core: tuple[str, ...]
    journey_extras: tuple[str, ...]  # what journey-survey respondents may rate besides the core
    break_tp: str
    drivers: tuple[str, ...]
    improved: str
    untouched: str


def _theme(key: str, name: str, channel: str) -> str:
    text = f"{key} {name}".lower()
    for theme, pattern in _THEME_WORDS:
        if re.search(pattern, text):
            return theme
    return _CHANNEL_THEMES.get(channel.lower().strip(), "generic")


def _plan(journey: Journey) -> _Plan:
    order = journey.stage_index()
    rated = [tp for tp in journey.touchpoints if tp.kind == "touchpoint"]
    rated.sort(key=lambda tp: order.get(tp.stage, len(order)))  # stable: keeps file order within a stage
    if len(rated) < 5:
        raise ValueError(
            ngettext(
                "The journey '{name}' has {n} rated touchpoint (kind 'touchpoint'); demo data needs at least 5.",
                "The journey '{name}' has {n} rated touchpoints (kind 'touchpoint'); demo data needs at least 5.",
                len(rated),
            ).format(name=journey.name, n=len(rated))
        )
    keys = tuple(tp.key for tp in rated)
    themes = tuple(_theme(tp.key, tp.name, tp.channel) for tp in rated)
    theme_of = dict(zip(keys, themes))
    effort = np.array(
        [
            ("ces" in tp.targets)
            or (theme not in _NO_EFFORT_THEMES and bool(re.search(_EFFORT_WORDS, f"{tp.key} {tp.name}".lower())))
            for tp, theme in zip(rated, themes)
        ]
    )
    owner_kind = {o.name: o.kind for o in journey.owners}
    human = np.array(
        [
            tp.channel.lower().strip() in _HUMAN_CHANNELS
            and tp.owner is not None
            and owner_kind.get(tp.owner) == "team"
            for tp in rated
        ]
    )
    seasonal = np.array([t in _SEASONAL_THEMES for t in themes])
    entry = np.array([tp.entry for tp in rated])
    by_key = {tp.key: tp for tp in rated}
    exceptional = {tp.key for tp in rated if re.search(_EXCEPTION_WORDS, f"{tp.key} {tp.name}".lower())}
    plain = (
        [k for k in keys if not by_key[k].entry and k not in exceptional]
        or [k for k in keys if not by_key[k].entry]
        or list(keys)
    )

    def first(candidates, *exclude):
        for key in candidates:
            if key not in exclude:
                return key
        return None

    # The break: a delivery or field moment with an NPS target, else any such moment, else the middle one.
    field_moments = [k for k in plain if theme_of[k] in _SEASONAL_THEMES]
    break_tp = (
        first([k for k in field_moments if "nps" in by_key[k].targets])
        or first(field_moments)
        or first([k for k in plain if "nps" in by_key[k].targets])
        or plain[len(plain) // 2]
    )
    # The effort driver: a checkout-like touchpoint (with a CSAT target if possible), else any effort one.
    effort_keys = [k for k, e in zip(keys, effort) if e]
    checkout_like = [k for k in plain if theme_of[k] == "checkout" and k in effort_keys]
    driver_b = (
        first([k for k in checkout_like if "csat" in by_key[k].targets], break_tp)
        or first(checkout_like, break_tp)
        or first([k for k in plain if k in effort_keys], break_tp)
        or first(plain, break_tp)
        or first(keys, break_tp)
    )
    # The control: the earliest plain touchpoint without seasonal strain.
    untouched = (
        first([k for k in plain if theme_of[k] not in _SEASONAL_THEMES], break_tp, driver_b)
        or first(plain, break_tp, driver_b)
        or first(keys, break_tp, driver_b)
    )
    # The improved one: a support moment, else an effort one, else the last one left.
    used = (break_tp, driver_b, untouched)
    improved = (
        first([k for k in keys if theme_of[k] == "support"], *used)
        or first(effort_keys, *used)
        or first(reversed(keys), *used)
    )

    # Core: the roles first, then touchpoints with CSAT/NPS targets in journey order, skipping alternatives of a
    # core touchpoint (siblings after the same decision, e.g. other delivery options).
    core_size = min(CORE_SIZE, len(keys) - 1)
    successors: dict[str, list[str]] = {}
    loops = _loop_edges(journey)
    for edge in journey.edges:
        if (edge.source, edge.target) not in loops:
            successors.setdefault(edge.source, []).append(edge.target)
    decisions = {tp.key for tp in journey.touchpoints if tp.kind == "decision"}
    sibling_groups = [set(targets) for source, targets in successors.items() if source in decisions]

    def siblings(key: str) -> set[str]:
        return set().union(*[g for g in sibling_groups if key in g]) - {key}

    core = [break_tp, driver_b, untouched]
    blocked = set().union(*(siblings(k) for k in core)) | {improved}
    targeted = [k for k in plain if {"csat", "nps"} & set(by_key[k].targets)]
    for key in [*targeted, *plain, *keys]:
        if len(core) >= core_size:
            break
        if key not in core and key not in blocked:
            core.append(key)
            blocked |= siblings(key)
    for key in keys:  # a tiny journey: fill up regardless of siblings
        if len(core) >= core_size:
            break
        if key not in core and key != improved:
            core.append(key)
    core_set = set(core)
    core_ordered = tuple(k for k in keys if k in core_set)
    # The second driver: the core touchpoint just before the break in journey order (else just after).
    position = core_ordered.index(break_tp)
    others = [k for k in core_ordered if k not in (break_tp, driver_b, untouched)]
    before = [k for k in others if core_ordered.index(k) < position]
    driver_a = before[-1] if before else others[0]
    drivers = tuple(k for k in keys if k in (driver_a, driver_b))
    journey_extras = tuple(k for k in keys if k not in core_set and not any(k in siblings(c) for c in core_ordered))
    csat_goal = tuple(by_key[k].targets.get("csat") for k in keys)
    return _Plan(
        keys,
        themes,
        effort,
        human,
        seasonal,
        entry,
        csat_goal,
        core_ordered,
        journey_extras or tuple(k for k in keys if k not in core_set),
        break_tp,
        drivers,
        improved,
        untouched,
    )


def _loop_edges(journey: Journey) -> set[tuple[str, str]]:
    """Edges that close a cycle (back edges of a depth-first walk from the entries, in file order)."""
    from workbench.core.journey import entries

    successors: dict[str, list[str]] = {}
    for edge in journey.edges:
        successors.setdefault(edge.source, []).append(edge.target)
    loops: set[tuple[str, str]] = set()
    done: set[str] = set()
    for root in [*entries(journey), *(tp.key for tp in journey.touchpoints)]:
        if root in done:
            continue
        stack, on_path = [(root, iter(successors.get(root, ())))], {root}
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.discard(node)
                done.add(node)
            elif child in on_path:
                loops.add((node, child))
            elif child not in done:
                stack.append((child, iter(successors.get(child, ()))))
                on_path.add(child)
    return loops


# ------------------------------------------------------------------ ordinal helpers


def _expected_scale(mean, sd: float, low: int, high: int):
    """E[clip(round(Y), low, high)] for Y ~ N(mean, sd²): low + Σ_k P(Y > k + 0.5)."""
    from scipy.special import ndtr

    mean = np.asarray(mean, dtype=float)
    cuts = np.arange(low, high) + 0.5
    return low + ndtr((mean[..., None] - cuts) / sd).sum(axis=-1)


def _expected_nps(mean, sd: float):
    """Expected NPS points (100·(P − D)) of clip(round(Y), 0, 10) for Y ~ N(mean, sd²)."""
    from scipy.special import ndtr

    mean = np.asarray(mean, dtype=float)
    return 100 * (ndtr((mean - 8.5) / sd) - ndtr((6.5 - mean) / sd))


def _csat(experience, sd: float):
    """Expected CSAT given the experience on the CSAT scale and the remaining noise."""
    return _expected_scale(experience, sd, 1, 5)


def _nps(experience, sd: float, extra_drop: float = 0.0):
    """Expected transactional NPS given the experience (and an extra drop of the 0–10 answer)."""
    return _expected_nps(NPS_CENTRE + NPS_SLOPE * (np.asarray(experience) - 4.0) - extra_drop, sd)


def _solve(function, goal, low: float, high: float, steps: int = 60):
    """Bisection for an increasing function, vectorised over ``goal``."""
    goal = np.asarray(goal, dtype=float)
    lo, hi = np.full_like(goal, low), np.full_like(goal, high)
    for _ in range(steps):
        mid = (lo + hi) / 2
        above = function(mid) > goal
        hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
    return (lo + hi) / 2


def _scale(latent: np.ndarray, low: int, high: int) -> np.ndarray:
    return np.clip(np.rint(latent), low, high).astype(np.int8)


DEMO_MONTHS, DEMO_START = 24, date(2024, 11, 1)  # the demo's two years, November 2024 to October 2026


def month_start(start: date, offset: int) -> date:
    """The first day of the month ``offset`` months after the month of ``start``."""
    months = start.year * 12 + start.month - 1 + offset
    return date(months // 12, months % 12 + 1, 1)


# ------------------------------------------------------------------ the generator


def generate(
    journey: Journey,
    *,
    seed: int = 2024,
    answers: int = 200_000,
    months: int = DEMO_MONTHS,
    start: date = DEMO_START,
    branch_icc: float = BRANCH_ICC,
    kpis_from_latent: bool = True,
    branch_copies: int = 1,
) -> DemoData:
    """Generate the demo survey, KPI tables and planted truth for ``journey`` (deterministic for a seed).

    ``answers`` is the expected number of survey rows (overall answers included; the realised count is within
    about 1 %); ``months`` consecutive months from the month of ``start``. The break starts at month
    ``months·2//3`` (0-based), the improvement at month ``months·7//12``. ``branch_icc`` adds a branch-month random
    effect to the latent experience, re-drawn every month, whose variance is that share of the experience's
    variance (an ICC; every touchpoint but the untouched one; 0 turns it off). ``kpis_from_latent`` drives the KPIs
    by the *true* branch-month NPS (the expected overall NPS of the cell's respondents given their latent
    experience), so a link fitted on the observed NPS meets its sampling noise as on real data; False drives them by
    the NPS observed in the answers (no attenuation to correct). ``branch_copies`` > 1 splits every branch into
    that many ("Kladno 1", "Kladno 2"…) for a network of realistic size (the scale benchmark's 500 branches).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if months < 6:
        raise ValueError(gettext("Demo data needs at least 6 months."))
    if answers < 2_000:
        raise ValueError(gettext("Demo data needs at least {n} answers.").format(n=formatting.count(2_000)))
    if not 0 <= branch_icc < 1:
        raise ValueError(gettext("The branch ICC is a share of variance: at least 0 and below 1."))
    start = start.replace(day=1)
    plan = _plan(journey)
    rng = np.random.default_rng(seed)
    T, M = len(plan.keys), months
    tp_index = {k: i for i, k in enumerate(plan.keys)}
    core_mask = np.isin(plan.keys, plan.core)

    # ---- world: regions, branches, employees and their static effects
    region_names = [r[0] for r in REGIONS]
    if branch_copies < 1:
        raise ValueError(gettext("A branch is split into at least one copy."))
    copies = range(1, branch_copies + 1) if branch_copies > 1 else (None,)
    branch_names = [b if k is None else f"{b} {k}" for r in REGIONS for b in r[2] for k in copies]
    branch_region = np.array([g for g, r in enumerate(REGIONS) for _ in r[2] for _ in copies])
    B, G = len(branch_names), len(REGIONS)
    big_city = np.array(
        [bool(re.match(r"(Praha|Warszawa|Kraków|Brno|Poznań|Katowice|Ostrava)-", b)) for b in branch_names]
    )
    branch_weight = np.exp(rng.normal(0, 0.3, B)) * np.where(big_city, 1.3, 1.0)
    branch_weight /= branch_weight.sum()
    region_effect = rng.normal(0, 0.06, G)
    branch_effect = rng.normal(0, 0.12, B)
    staff = rng.choice([2, 3, 4], size=B, p=[0.25, 0.5, 0.25])
    staff_start = np.concatenate([[0], np.cumsum(staff)[:-1]])
    employee_names = _employee_names(rng, [REGIONS[g][1] for g in branch_region], staff)
    employee_effect = rng.normal(0, 0.25, len(employee_names))

    # ---- touchpoint baselines: observed CSAT near the target (some miss it), else a theme default
    goal = np.array([(g if g is not None else _THEME_CSAT[t]) for g, t in zip(plan.csat_goal, plan.themes)])
    goal = np.clip(
        goal
        - rng.uniform(-0.15, 0.3, T) * np.array([g is not None for g in plan.csat_goal])
        + rng.uniform(-0.15, 0.15, T) * np.array([g is None for g in plan.csat_goal]),
        1.6,
        4.7,
    )
    total_csat_sd = float(np.hypot(EXPERIENCE_SD, CSAT_NOISE))
    base = _solve(lambda m: _expected_scale(m, total_csat_sd, 1, 5), goal, -2.0, 8.0)
    theme_arr = np.array(plan.themes)
    channel_effect = np.zeros((len(CHANNELS), T))
    channel_effect[CHANNELS.index("app")] -= 0.15 * np.isin(theme_arr, ["digital", "checkout"])
    channel_effect[CHANNELS.index("phone")] += 0.10 * (theme_arr == "support")
    channel_effect[CHANNELS.index("branch")] += 0.08
    type_effect = np.array([-0.05, 0.05, -0.12])

    # ---- calendar: month volume and strain, branch dynamics
    month_dates = [month_start(start, m) for m in range(M)]
    calendar_month = np.array([d.month for d in month_dates])
    volume = np.array([_MONTH_VOLUME[c] for c in calendar_month]) * (1 + 0.01 * np.arange(M))
    strain = np.array([_MONTH_STRAIN.get(c, 0.0) for c in calendar_month])
    trend = rng.normal(0, 0.12, B)[:, None] * np.linspace(-1, 1, M)[None, :]
    shocks = np.zeros((B, M))
    innovations = rng.normal(0, 0.07, (B, M))
    for m in range(M):  # AR(1) over months (24 steps, not per answer)
        shocks[:, m] = (0.6 * shocks[:, m - 1] if m else 0) + innovations[:, m]
    dynamics = trend + shocks

    # ---- respondents
    journey_rows = 1 + len(plan.core) + 1.0  # overall + core + ~1 extra
    pulse_rows = 1 + 1.3
    journey_share = float(np.clip((JOURNEY_ROWS_TARGET - pulse_rows) / (journey_rows - pulse_rows), 0.3, 0.9))
    rows_per_respondent = journey_share * journey_rows + (1 - journey_share) * pulse_rows
    R = round(answers / rows_per_respondent)
    is_journey = rng.random(R) < journey_share
    branch = rng.choice(B, size=R, p=branch_weight)
    region = branch_region[branch]
    month = rng.choice(M, size=R, p=volume / volume.sum())
    channel = rng.choice(len(CHANNELS), size=R, p=CHANNEL_SHARES)
    ctype = rng.choice(len(CUSTOMER_TYPES), size=R, p=CUSTOMER_TYPE_SHARES)
    halo = rng.normal(0, 1, R)
    base_seconds = _answer_times(rng, month_dates, month)

    # Branch dynamics demeaned within region, month by month, with the realised respondent counts as weights.
    counts = np.zeros((B, M))
    np.add.at(counts, (branch, month), 1)
    for g in range(G):
        members = branch_region == g
        weights = counts[members] + 1e-9
        dynamics[members] -= (dynamics[members] * weights).sum(0) / weights.sum(0)

    # ---- who rates what
    rated = np.zeros((R, T), dtype=bool)
    rated[np.ix_(is_journey, core_mask)] = True
    pool = np.isin(plan.keys, plan.journey_extras)
    p_extra = min(0.5, 1.0 / max(1, pool.sum()))
    rated[is_journey] |= (rng.random((int(is_journey.sum()), T)) < p_extra) & pool
    pulse_weight = np.where(core_mask, 1.0, 2.0) * np.where(plan.entry, 0.5, 1.0)
    pulse_weight[tp_index[plan.improved]] = 3.0
    n_pulse = int((~is_journey).sum())
    gumbel = np.log(pulse_weight)[None, :] - np.log(-np.log(rng.random((n_pulse, T))))
    top2 = np.argsort(-gumbel, axis=1)[:, :2]
    pulse_rated = np.zeros((n_pulse, T), dtype=bool)
    pulse_rated[np.arange(n_pulse), top2[:, 0]] = True
    second = rng.random(n_pulse) < 0.3
    pulse_rated[np.arange(n_pulse)[second], top2[second, 1]] = True
    rated[~is_journey] = pulse_rated

    # ---- latent experience X (respondent × touchpoint)
    human_cells = np.broadcast_to(plan.human, (R, T))
    employee = staff_start[branch][:, None] + (rng.random((R, T)) * staff[branch][:, None]).astype(np.int64)
    break_mask_cell = (
        (np.arange(T) == tp_index[plan.break_tp])[None, :]
        & (region == region_names.index(BREAK_REGION))[:, None]
        & (month >= M * 2 // 3)[:, None]
    )
    improved_regions = np.isin(region, [region_names.index(r) for r in IMPROVED_REGIONS])
    improve_mask_cell = (np.arange(T) == tp_index[plan.improved])[None, :] & (
        improved_regions & (month >= M * 7 // 12)
    )[:, None]
    flat = np.arange(T) == tp_index[plan.untouched]
    # A generator of its own, so the options leave every other draw (and the default data) as they were.
    wobble = np.random.default_rng([seed, 1]).normal(0, EXPERIENCE_SD * np.sqrt(branch_icc), (B, M))
    own = rng.normal(0, 1, (R, T))  # the answer's own part of the experience
    noise = EXPERIENCE_SD * (HALO * halo[:, None] + np.sqrt(1 - HALO**2) * own)
    X = (
        base[None, :]
        + branch_effect[branch][:, None]
        + region_effect[region][:, None]
        + channel_effect[channel]
        + type_effect[ctype][:, None]
        + np.where(human_cells, employee_effect[employee], 0.0)
        + np.outer(strain[month], plan.seasonal & ~flat)
        + (dynamics + wobble)[branch, month][:, None] * ~flat[None, :]
        + noise
    )

    # Planted shifts, sized on the touchpoint's baseline so the observed effects have the designed size.
    total_nps_sd = float(np.hypot(NPS_SLOPE * EXPERIENCE_SD, NPS_NOISE))
    b = base[tp_index[plan.break_tp]]
    break_shift = float(_solve(lambda d: _csat(b, total_csat_sd) - _csat(b - d, total_csat_sd), BREAK_CSAT, 0.0, 4.0))
    # Extra drop of the likelihood to recommend beyond CSAT, so the NPS drop has its designed size too.
    break_nps_extra = float(
        _solve(lambda e: _nps(b, total_nps_sd) - _nps(b - break_shift, total_nps_sd, e), BREAK_NPS, -3.0, 6.0)
    )
    i_base = base[tp_index[plan.improved]]
    improve_shift = float(
        _solve(lambda d: _csat(i_base + d, total_csat_sd) - _csat(i_base, total_csat_sd), IMPROVE_CSAT, 0.0, 4.0)
    )
    X -= break_shift * break_mask_cell
    X += improve_shift * improve_mask_cell

    # ---- overall NPS: weights × experience over the core and the other touchpoints rated
    weights = np.full(T, OTHER_WEIGHT)
    weights[[tp_index[k] for k in plan.drivers]] = DRIVER_WEIGHT
    experienced = rated | core_mask[None, :]
    overall_latent = (
        OVERALL_CENTRE + OVERALL_SCALE * ((X - base[None, :]) * experienced) @ weights + rng.normal(0, OVERALL_NOISE, R)
    )
    overall_nps = _scale(overall_latent, 0, 10)

    # ---- answer rows: rated cells in journey order, then the overall answer
    resp, tp = np.nonzero(rated)
    x = X[resp, tp]
    n_tp = len(resp)
    csat = _scale(x + rng.normal(0, CSAT_NOISE, n_tp), 1, 5)
    nps_latent = (
        NPS_CENTRE
        + NPS_SLOPE * (x - 4.0)
        + rng.normal(0, NPS_NOISE, n_tp)
        - break_nps_extra * break_mask_cell[resp, tp]
    )
    nps = _scale(nps_latent, 0, 10)
    nps_missing = rng.random(n_tp) >= NPS_ASKED
    ces = _scale(CES_CENTRE + CES_SLOPE * (x - 4.0) + rng.normal(0, CES_NOISE, n_tp), 1, 7)
    ces_missing = ~plan.effort[tp]
    emp_row = np.where(plan.human[tp], employee[resp, tp], -1)

    all_resp = np.concatenate([resp, np.arange(R)])
    all_tp = np.concatenate([tp, np.full(R, T)])  # T = the overall answer
    position = np.zeros(len(all_resp), dtype=np.int64)
    position[:n_tp] = (np.cumsum(rated, axis=1) - 1)[resp, tp]
    position[n_tp:] = rated.sum(axis=1)
    seconds = base_seconds[all_resp] + position * 45 + rng.integers(0, 30, len(all_resp))
    nps_all = np.concatenate([nps, overall_nps])
    nps_null = np.concatenate([nps_missing, np.zeros(R, dtype=bool)])
    csat_all = np.concatenate([csat, np.ones(R, dtype=np.int8)])
    csat_null = np.concatenate([np.zeros(n_tp, dtype=bool), np.ones(R, dtype=bool)])
    ces_all = np.concatenate([ces, np.ones(R, dtype=np.int8)])
    ces_null = np.concatenate([ces_missing, np.ones(R, dtype=bool)])
    employee_all = np.concatenate([emp_row, np.full(R, -1)])

    # ---- comments: theme of the touchpoint, sentiment of the score, language of the region
    sentiment = np.where(csat <= 2, 0, np.where(csat == 3, 1, 2))
    overall_sentiment = np.where(overall_nps <= 6, 0, np.where(overall_nps <= 8, 1, 2))
    sentiment_all = np.concatenate([sentiment, overall_sentiment])
    # People are not that consistent: some low or high scores come with a lukewarm remark.
    sentiment_all = np.where(rng.random(len(sentiment_all)) < MIXED_SHARE, 1, sentiment_all)
    p_comment = np.array([0.42, 0.24, 0.20])[sentiment_all]
    p_comment *= COMMENT_SHARE / p_comment.mean()
    has_comment = rng.random(len(all_resp)) < p_comment
    theme_all = np.concatenate(
        [np.array([THEMES.index(t) for t in plan.themes])[tp], np.full(R, THEMES.index("overall"))]
    )
    country_pl = np.array([REGIONS[g][1] == "pl" for g in range(G)])[region[all_resp]]
    language = np.where(rng.random(len(all_resp)) < 0.12, 2, np.where(country_pl, 1, 0))
    comment_index = _comment_indices(rng, theme_all, sentiment_all, language)

    # ---- sort by time and build the survey table
    order = np.argsort(seconds, kind="stable")
    respondent_rank = np.empty(R, dtype=np.int64)
    respondent_rank[np.argsort(base_seconds, kind="stable")] = np.arange(R)
    respondent_ids = _ids("C", respondent_rank, 6)
    tp_names = pa.array([*plan.keys, OVERALL], pa.string())
    phrase_table = _phrase_table()
    employee_sorted = employee_all[order]
    comment_sorted = np.where(has_comment, comment_index, -1)[order]
    survey = pa.table(
        {
            "response_id": _ids("A", np.arange(len(order)), 7),
            "respondent_id": pc.take(respondent_ids, pa.array(all_resp[order])),
            "ts": pa.array(seconds[order], pa.timestamp("s")),
            "touchpoint": pc.take(tp_names, pa.array(all_tp[order])),
            "nps": pa.array(nps_all[order], pa.int8(), mask=nps_null[order]),
            "csat": pa.array(csat_all[order], pa.int8(), mask=csat_null[order]),
            "ces": pa.array(ces_all[order], pa.int8(), mask=ces_null[order]),
            "comment": pc.take(phrase_table, pa.array(comment_sorted, mask=comment_sorted < 0)),
            "region": pc.take(pa.array(region_names, pa.string()), pa.array(region[all_resp][order])),
            "branch": pc.take(pa.array(branch_names, pa.string()), pa.array(branch[all_resp][order])),
            "channel": pc.take(pa.array(CHANNELS, pa.string()), pa.array(channel[all_resp][order])),
            "employee": pc.take(
                pa.array(employee_names, pa.string()), pa.array(employee_sorted, mask=employee_sorted < 0)
            ),
            "customer_type": pc.take(pa.array(CUSTOMER_TYPES, pa.string()), pa.array(ctype[all_resp][order])),
        }
    )

    # ---- KPIs per branch-month from the observed (or the true) overall NPS
    promoters, detractors, n_bm = (np.zeros((B, M)) for _ in range(3))
    np.add.at(n_bm, (branch, month), 1)
    if kpis_from_latent:
        promoter_chance, detractor_chance = _overall_chances(X - noise - base[None, :], experienced, weights)
        np.add.at(promoters, (branch, month), promoter_chance)
        np.add.at(detractors, (branch, month), detractor_chance)
    else:
        np.add.at(promoters, (branch, month), overall_nps >= 9)
        np.add.at(detractors, (branch, month), overall_nps <= 6)
    with np.errstate(invalid="ignore", divide="ignore"):
        cell_nps = 100 * (promoters - detractors) / n_bm
        detractor_share = detractors / n_bm
    branch_mean = np.nanmean(cell_nps, axis=1, keepdims=True)
    cell_nps = np.where(n_bm > 0, cell_nps, branch_mean)  # no answers: the branch's mean (never seen at 200 k)
    detractor_share = np.where(n_bm > 0, detractor_share, np.nanmean(detractor_share, axis=1, keepdims=True))
    kpi_period = _kpi_period(
        rng,
        month_dates,
        calendar_month,
        region_names,
        branch_names,
        branch_region,
        branch_weight,
        cell_nps,
        detractor_share,
    )

    # ---- customer KPIs
    group = np.where(overall_nps >= 9, 0, np.where(overall_nps >= 7, 1, 2))
    retention = np.array([RETENTION[g] for g in NPS_GROUPS])
    retained = rng.random(R) < retention[group]
    log_revenue = (
        np.log(2400) + np.array([0.25, 0.10, 0.0])[group] + np.where(ctype == 2, 1.2, 0.0) + rng.normal(0, 0.8, R)
    )
    repeat_rate = np.array([2.4, 1.6, 0.9])[group] * np.where(ctype == 2, 2.0, 1.0) * np.where(retained, 1.0, 0.3)
    by_id = np.argsort(respondent_rank)
    kpi_customer = pa.table(
        {
            "respondent_id": pc.take(respondent_ids, pa.array(by_id)),
            "region": pc.take(pa.array(region_names, pa.string()), pa.array(region[by_id])),
            "branch": pc.take(pa.array(branch_names, pa.string()), pa.array(branch[by_id])),
            "revenue": pa.array(np.round(np.exp(log_revenue), 2)[by_id]),
            "retained": pa.array(retained[by_id]),
            "repeat_purchases": pa.array(rng.poisson(repeat_rate)[by_id].astype(np.int64)),
        }
    )
    # The CRM's columns come from generators of their own, so the numbers above stay as they were.
    countries = [REGIONS[g][1] for g in region[by_id]]
    kpi_customer = _crm_columns(np.random.default_rng(seed + 2), kpi_customer, group[by_id], ctype[by_id], countries)
    sources = demosources.generate(
        seed + 1,
        demosources.touchpoint_roles(plan.keys, plan.themes, tuple(journey.touchpoint(k).name for k in plan.keys)),
        branch_names,
        [region_names[g] for g in branch_region],
        [REGIONS[g][1] for g in branch_region],
        big_city,
        branch_effect,
        dynamics,
        month_dates,
        PHRASES,
    )

    # ---- the realised truth: expected score differences over the affected answers
    # Given the respondent's experience x, only the answer noise is left: average the expected score difference.
    hit = break_mask_cell[resp, tp]
    nps_hit = hit & ~nps_missing
    csat_drop = (
        float(np.mean(_csat(x[hit] + break_shift, CSAT_NOISE) - _csat(x[hit], CSAT_NOISE))) if hit.any() else BREAK_CSAT
    )
    nps_drop = (
        float(np.mean(_nps(x[nps_hit] + break_shift, NPS_NOISE) - _nps(x[nps_hit], NPS_NOISE, break_nps_extra)))
        if nps_hit.any()
        else BREAK_NPS
    )
    lift = improve_mask_cell[resp, tp]
    improvement = (
        float(np.mean(_csat(x[lift], CSAT_NOISE) - _csat(x[lift] - improve_shift, CSAT_NOISE)))
        if lift.any()
        else IMPROVE_CSAT
    )
    effects = PlantedEffects(
        break_touchpoint=plan.break_tp,
        break_region=BREAK_REGION,
        break_from=month_dates[M * 2 // 3],
        break_csat_drop=csat_drop,
        break_nps_drop=nps_drop,
        driver_touchpoints=plan.drivers,
        driver_weights=dict(zip(plan.keys, weights.tolist())),
        revenue_semi_elasticity=REVENUE_SEMI_ELASTICITY,
        churn_slope=CHURN_SLOPE,
        zero_link_kpi="resolution_hours",
        improved_touchpoint=plan.improved,
        improved_regions=IMPROVED_REGIONS,
        improved_from=month_dates[M * 7 // 12],
        improvement_csat=improvement,
        untouched_touchpoint=plan.untouched,
        retention_by_group=dict(RETENTION),
        core_touchpoints=plan.core,
        kpi_nps_touchpoint=OVERALL,
        kpis_from_latent=kpis_from_latent,
        branch_icc=branch_icc,
    )
    return DemoData(survey, kpi_period, kpi_customer, effects, sources)


# ------------------------------------------------------------------ helpers of the generator


def _overall_chances(structural: np.ndarray, experienced: np.ndarray, weights: np.ndarray) -> tuple:
    """Each respondent's chance of an overall answer of 9–10 and of 0–6 given their experience without its noise.

    The overall latent is centre + scale·Σ_t w_t·(structural_t + noise_t) + N(0, OVERALL_NOISE²) over the
    experienced touchpoints, with noise_t = EXPERIENCE_SD·(HALO·halo + √(1 − HALO²)·u_t): normal with mean
    centre + scale·Σ w·structural and variance (scale·EXPERIENCE_SD)²·(HALO²·(Σ w)² + (1 − HALO²)·Σ w²) +
    OVERALL_NOISE², read through the rounding to 0–10 like :func:`_expected_nps`.
    """
    from scipy.special import ndtr

    mean = OVERALL_CENTRE + OVERALL_SCALE * (structural * experienced) @ weights
    summed, squared = experienced @ weights, experienced @ weights**2
    sd = np.sqrt(
        (OVERALL_SCALE * EXPERIENCE_SD) ** 2 * (HALO**2 * summed**2 + (1 - HALO**2) * squared) + OVERALL_NOISE**2
    )
    return ndtr((mean - 8.5) / sd), ndtr((6.5 - mean) / sd)


def _crm_columns(
    rng: np.random.Generator, table: pa.Table, group: np.ndarray, ctype: np.ndarray, countries: list[str]
) -> pa.Table:
    """The customer KPIs with what a CRM holds: name, email, the account manager of business customers (two per
    country), products held and referrals made (promoters refer more)."""
    import pyarrow as pa

    n = table.num_rows
    female = rng.random(n) < 0.5
    first_pick, last_pick = rng.random(n), rng.random(n)
    names, emails = [], []
    for i, country in enumerate(countries):
        firsts, surnames = _FIRST_NAMES[country][int(female[i])], _SURNAMES[country]
        first = firsts[int(first_pick[i] * len(firsts))]
        last = surnames[int(last_pick[i] * len(surnames))][int(female[i])]
        names.append(f"{first} {last}")
        emails.append(f"{fold(first)}.{fold(last)}.{i + 1}@example.{country}".replace(" ", ""))
    managers = {"cz": ("Alena Kovářová", "Roman Beneš"), "pl": ("Ewa Sikora", "Marek Lis")}
    business = ctype == CUSTOMER_TYPES.index("business")
    manager = [managers[c][int(r < 0.5)] if b else None for c, b, r in zip(countries, business, rng.random(n))]
    products = 1 + rng.poisson(np.where(business, 2.0, 0.6))
    referrals = rng.poisson(np.array([0.6, 0.15, 0.03])[group])
    return (
        table.append_column("name", pa.array(names, pa.string()))
        .append_column("email", pa.array(emails, pa.string()))
        .append_column("account_manager", pa.array(manager, pa.string()))
        .append_column("products", pa.array(products.astype(np.int64)))
        .append_column("referrals", pa.array(referrals.astype(np.int64)))
    )


def _employee_names(rng: np.random.Generator, countries: list[str], staff: np.ndarray) -> list[str]:
    """Unique names for each branch's staff, Czech or Polish by the branch's country (150 names, not per answer)."""
    names: list[str] = []
    taken: set[str] = set()
    for country, count in zip(countries, staff):
        firsts, surnames = _FIRST_NAMES[country], _SURNAMES[country]
        for _ in range(int(count)):
            for _attempt in range(50):
                female = rng.random() < 0.5
                first_name = firsts[female][rng.integers(len(firsts[female]))]
                surname = surnames[rng.integers(len(surnames))][int(female)]
                name = f"{first_name} {surname}"
                if name not in taken:
                    break
            else:  # a large network uses up the combinations: namesakes get a number, as in a staff list
                name = next(f"{name} {k}" for k in range(2, len(taken) + 3) if f"{name} {k}" not in taken)
            taken.add(name)
            names.append(name)
    return names


def _answer_times(rng: np.random.Generator, month_dates: list[date], month: np.ndarray) -> np.ndarray:
    """Seconds since 1970 (naive local time) of each respondent's first answer: Mon–Sat, 8:00–19:15."""
    starts = np.array(month_dates, dtype="datetime64[D]")
    ends = np.array([*month_dates[1:], month_start(month_dates[-1], 1)], dtype="datetime64[D]")
    days = starts[:, None] + np.arange(31)[None, :]
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    weight = np.where(weekday < 5, 1.0, np.where(weekday == 5, 0.4, 0.0)) * (days < ends[:, None])
    cumulative = np.cumsum(weight, axis=1) / weight.sum(axis=1, keepdims=True)
    day = (rng.random(len(month))[:, None] > cumulative[month]).sum(axis=1)
    hour_weight = np.array([0.6, 1.0, 1.2, 1.2, 1.0, 1.1, 1.1, 1.0, 0.9, 0.8, 0.7, 0.4])  # 8:00 … 19:00
    hour = 8 + rng.choice(len(hour_weight), size=len(month), p=hour_weight / hour_weight.sum())
    second = (rng.random(len(month)) * np.where(hour == 19, 900, 3600)).astype(np.int64)
    return (starts[month] + day).astype(np.int64) * 86_400 + hour * 3600 + second


@lru_cache(maxsize=1)
def _phrase_cells() -> tuple[list[str], np.ndarray, np.ndarray]:
    """All phrases (originals, then folded variants at the same positions + len) with each cell's offset and size.

    A cell is (theme, sentiment, language) in the order of THEMES, SENTIMENTS, LANGUAGES.
    """
    originals: list[str] = []
    offsets, sizes = [], []
    for theme in THEMES:
        for sentiment in SENTIMENTS:
            for language in LANGUAGES:
                phrases = PHRASES[theme][sentiment][language]
                offsets.append(len(originals))
                sizes.append(len(phrases))
                originals.extend(phrases)
    folded = [typed_without_diacritics(p) for p in originals]
    return originals + folded, np.array(offsets), np.array(sizes)


def _phrase_table() -> pa.Array:
    import pyarrow as pa

    return pa.array(_phrase_cells()[0], pa.string())


def _comment_indices(
    rng: np.random.Generator, theme: np.ndarray, sentiment: np.ndarray, language: np.ndarray
) -> np.ndarray:
    """Index into :func:`_phrase_table` per row: a random phrase of the row's cell, folded for some cs/pl rows."""
    phrases, offsets, sizes = _phrase_cells()
    cell = (theme * len(SENTIMENTS) + sentiment) * len(LANGUAGES) + language
    index = offsets[cell] + (rng.random(len(cell)) * sizes[cell]).astype(np.int64)
    folded = (rng.random(len(cell)) < FOLDED_SHARE) & (language != LANGUAGES.index("en"))
    return index + folded * (len(phrases) // 2)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """'A0000001'-style ids (numbers from 0 become 1-based)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers) + 1), pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, "")


def _kpi_period(
    rng: np.random.Generator,
    month_dates: list[date],
    calendar_month: np.ndarray,
    region_names: list[str],
    branch_names: list[str],
    branch_region: np.ndarray,
    branch_weight: np.ndarray,
    cell_nps: np.ndarray,
    detractor_share: np.ndarray,
) -> pa.Table:
    """One row per month and branch; revenue and churn follow the branch-month NPS, resolution time not."""
    import pyarrow as pa

    B, M = cell_nps.shape
    branch_level = np.log(120e6 * branch_weight) + rng.normal(0, 0.1, B)
    month_level = np.log([_MONTH_VOLUME[c] for c in calendar_month]) + 0.008 * np.arange(M) + rng.normal(0, 0.02, M)
    log_revenue = (
        branch_level[:, None] + month_level[None, :] + REVENUE_SEMI_ELASTICITY * cell_nps + rng.normal(0, 0.04, (B, M))
    )
    revenue = np.round(np.exp(log_revenue), 2)
    order_value = 1150 * np.exp(rng.normal(0, 0.08, B))
    orders = np.rint(revenue / order_value[:, None] * np.exp(rng.normal(0, 0.03, (B, M)))).astype(np.int64)
    churn: np.ndarray = (
        4.5 + np.asarray(rng.normal(0, 0.3, B))[:, None] + CHURN_SLOPE * cell_nps + rng.normal(0, 0.25, (B, M))
    )
    churn = np.round(np.maximum(churn, 0.05), 3)
    complaints = rng.poisson(orders * (0.002 + 0.03 * detractor_share)).astype(np.int64)
    resolution = np.maximum(rng.normal(20, 4, B), 6)[:, None] + rng.normal(0, 2.5, (B, M))
    resolution = np.round(np.maximum(resolution, 1.0), 1)

    # Rows: month by month, branches in region order.
    def flat(values: np.ndarray) -> np.ndarray:
        return values.T.reshape(-1)

    return pa.table(
        {
            "period": pa.array([d for d in month_dates for _ in range(B)], pa.date32()),
            "region": pa.array([region_names[branch_region[b]] for _ in range(M) for b in range(B)], pa.string()),
            "branch": pa.array([branch_names[b] for _ in range(M) for b in range(B)], pa.string()),
            "revenue": pa.array(flat(revenue)),
            "orders": pa.array(flat(orders)),
            "churn_rate": pa.array(flat(churn)),
            "complaints": pa.array(flat(complaints)),
            "resolution_hours": pa.array(flat(resolution)),
        }
    )
