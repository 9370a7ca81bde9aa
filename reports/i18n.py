"""The words of the reports in English and Serbian; Serbian Cyrillic is the Latin, transliterated.

Each entry is (English, Serbian Latin). Entries may hold ``{name}`` fields filled by ``format``.
"""

from __future__ import annotations

from collections.abc import Callable

from reports.script import to_cyrillic

WORDS: dict[str, tuple[str, str]] = {
    # the Council and the document
    "council": (
        "Council for Monitoring the Implementation of Recommendations of UN Human Rights Mechanisms",
        "Savet za praćenje sprovođenja preporuka mehanizama UN za ljudska prava",
    ),
    "kind.dossier": ("Recommendation dossier", "Dosije preporuke"),
    "kind.round_summary": ("Round summary", "Pregled kruga praćenja"),
    "kind.audit_trail": ("Audit trail", "Revizorski trag"),
    "audience.council": ("Edition for Council participants", "Izdanje za učesnike Saveta"),
    "audience.public": ("Public edition", "Javno izdanje"),
    "page": ("Page", "Strana"),
    "as_of": (
        "The record as it stood at log position {position}, recorded {at}",
        "Evidencija kakva je bila na poziciji {position} u dnevniku, zabeleženoj {at}",
    ),
    "log_position": ("Log position", "Pozicija u dnevniku"),
    "report_id": ("Report", "Izveštaj"),
    "language": ("Language", "Jezik"),
    "parameters": ("Parameters", "Parametri"),
    "verification": ("How to verify this report", "Kako proveriti ovaj izveštaj"),
    "verification.text": (
        "This PDF/A-3 document carries the data it was made from as the attachment"
        " report-data.json; its SHA-256 is printed below and recorded with the report's version"
        " in the Council's log. The audit tree root below covers every event up to the log"
        " position of the report and can be checked against a published checkpoint with a"
        " consistency proof.",
        "Ovaj PDF/A-3 dokument nosi podatke od kojih je sačinjen kao prilog report-data.json;"
        " njihov SHA-256 je odštampan ispod i zabeležen uz verziju izveštaja u dnevniku Saveta."
        " Koren revizorskog stabla ispod obuhvata sve događaje do pozicije izveštaja u dnevniku i"
        " može se proveriti prema objavljenoj kontrolnoj tački dokazom konzistentnosti.",
    ),
    "input_digest": ("Input data SHA-256", "SHA-256 ulaznih podataka"),
    "tree_size": ("Audit tree size", "Veličina revizorskog stabla"),
    "tree_root": (
        "Audit tree root (SHA-256, base64)",
        "Koren revizorskog stabla (SHA-256, base64)",
    ),
    "checkpoint": ("Latest signed checkpoint", "Poslednja potpisana kontrolna tačka"),
    "no_checkpoint": (
        "No checkpoint had been signed at or below this log position.",
        "Do ove pozicije u dnevniku nije potpisana nijedna kontrolna tačka.",
    ),
    "none": ("none", "nema"),
    "member": ("member {ref}", "član {ref}"),
    "operator": ("the operator", "operater"),
    "unknown_org": ("an unknown organisation", "nepoznata organizacija"),
    # the recommendation
    "recommendation": ("Recommendation", "Preporuka"),
    "mechanism": ("Mechanism", "Mehanizam"),
    "cycle": ("Cycle", "Ciklus"),
    "session": ("Session", "Sesija"),
    "document": ("Document", "Dokument"),
    "document_date": ("Document date", "Datum dokumenta"),
    "recommending_states": ("Recommending states", "Države koje su dale preporuku"),
    "themes": ("Themes", "Teme"),
    "affected_persons": ("Affected persons", "Pogođena lica"),
    "sdgs": ("Sustainable Development Goals", "Ciljevi održivog razvoja"),
    "state_response": ("State response", "Odgovor države"),
    "responsible_bodies": ("Responsible bodies", "Odgovorni organi"),
    "official_status": ("Official status", "Zvanični status"),
    "rounds": ("Monitoring rounds", "Krugovi praćenja"),
    "status_timeline": ("Status timeline", "Istorija statusa"),
    "status": ("Status", "Status"),
    "basis": ("Basis", "Osnov"),
    "by": ("By", "Ko"),
    "at": ("When", "Kada"),
    "reason": ("Reason", "Razlog"),
    "no_status_changes": (
        "The official status has not changed since the recommendation was catalogued.",
        "Zvanični status se nije menjao od katalogizacije preporuke.",
    ),
    "basis.adopted_position": (
        "revision {revision} of the adopted joint position",
        "revizija {revision} usvojenog zajedničkog stava",
    ),
    "basis.secretariat_correction": ("correction by the secretariat", "ispravka sekretarijata"),
    "basis.import": ("catalogue import", "uvoz kataloga"),
    # assessments
    "assessments": ("Assessments", "Ocene"),
    "track.civil_society": ("Civil society", "Civilno društvo"),
    "track.government": ("Government", "Vlada"),
    "no_assessments": (
        "No assessment of this track was submitted to the Council.",
        "Nijedna ocena ovog koloseka nije podneta Savetu.",
    ),
    "assessment_by": ("Assessment by {org}", "Ocena: {org}"),
    "round": ("Round", "Krug"),
    "state": ("State", "Stanje"),
    "submitted_revision": ("Submitted revision", "Podneta revizija"),
    "revision": ("Revision", "Revizija"),
    "revision_n": ("Revision {n}", "Revizija {n}"),
    "revision_lower": ("revision {n}", "revizija {n}"),
    "cycle_lower": ("cycle {n}", "ciklus {n}"),
    "session_lower": ("session {n}", "sesija {n}"),
    "quoted": ("“{text}”", "„{text}”"),
    "rating": ("Rating", "Ocena"),
    "narrative": ("Narrative", "Obrazloženje"),
    "evidence": ("Evidence", "Dokazi"),
    "co_signatures": ("Co-signatures", "Supotpisi"),
    "no_signatures": (
        "No organisation signed this revision.",
        "Nijedna organizacija nije potpisala ovu reviziju.",
    ),
    "signed_by": (
        "{org} ({member}) signed revision {revision} on {at}",
        "{org} ({member}) potpisala je reviziju {revision} {at}",
    ),
    "signature.active": ("stands", "važi"),
    "signature.superseded": (
        "superseded by a signature on a later revision",
        "zamenjen potpisom na kasnijoj reviziji",
    ),
    "signature.withdrawn": ("withdrawn", "povučen"),
    "signature_withdrawn": ("withdrawn on {at}", "povučen {at}"),
    "assessment_withdrawn": (
        "Withdrawn at revision {revision} on {at} by {who}",
        "Povučena na reviziji {revision} {at}; povukao: {who}",
    ),
    "written_by": ("written by {who} on {at}", "napisao: {who}, {at}"),
    # joint positions
    "joint_positions": ("Joint positions of the Council", "Zajednički stavovi Saveta"),
    "no_positions": (
        "The Council has no joint position on this recommendation.",
        "Savet nema zajednički stav o ovoj preporuci.",
    ),
    "no_published_positions": (
        "No joint position on this recommendation has been published.",
        "Nijedan zajednički stav o ovoj preporuci nije objavljen.",
    ),
    "joint_position_in": ("Joint position in {round}", "Zajednički stav u krugu {round}"),
    "proposed_status": ("Proposed status", "Predloženi status"),
    "revisions": ("Revisions", "Revizije"),
    "note": ("Note", "Napomena"),
    "based_on": ("Drafted from", "Sačinjen na osnovu"),
    "based_on_item": (
        "revision {revision} of the assessment by {org}",
        "revizija {revision} ocene: {org}",
    ),
    "amendments": ("Amendments", "Amandmani"),
    "no_amendments": ("No amendment was proposed.", "Nijedan amandman nije predložen."),
    "amendment_by": (
        "Proposed by {org} ({member}) to revision {revision} on {at}",
        "Predložio: {org} ({member}), za reviziju {revision}, {at}",
    ),
    "rationale": ("Rationale", "Obrazloženje"),
    "decision": ("Decision", "Odluka"),
    "amendment.proposed": ("not yet decided", "još nije odlučeno"),
    "amendment.accepted": (
        "accepted: revision {revision} took its text",
        "prihvaćen: revizija {revision} preuzela je njegov tekst",
    ),
    "amendment.rejected": ("rejected", "odbijen"),
    "endorsements": ("Endorsements", "Podrške"),
    "dissents": ("Dissents", "Izdvojena mišljenja"),
    "no_endorsements": (
        "No organisation endorsed a revision.",
        "Nijedna organizacija nije podržala reviziju.",
    ),
    "no_dissents": (
        "No organisation recorded dissent.",
        "Nijedna organizacija nije izdvojila mišljenje.",
    ),
    "stance_by": (
        "{org} ({member}) on revision {revision}, {at}",
        "{org} ({member}), revizija {revision}, {at}",
    ),
    "statement": ("Statement", "Izjava"),
    "adoptions": ("Adoption", "Usvajanje"),
    "not_adopted": ("Not adopted.", "Nije usvojen."),
    "adopted": (
        "Revision {revision} adopted at {session} on {date}",
        "Revizija {revision} usvojena na sednici „{session}” {date}",
    ),
    "method.consensus": ("by consensus", "konsenzusom"),
    "method.vote": (
        "by vote: {for} for, {against} against, {abstentions} abstaining",
        "glasanjem: {for} za, {against} protiv, {abstentions} uzdržanih",
    ),
    "divergent_views": ("Divergent views", "Različita mišljenja"),
    "publication": ("Publication", "Objavljivanje"),
    "published": (
        "Revision {revision} published on {at} by {who}",
        "Revizija {revision} objavljena {at}; objavio: {who}",
    ),
    "not_published": ("Not published.", "Nije objavljen."),
    "reopened": (
        "Reopened on {at} as cycle {cycle}: {reason}",
        "Ponovo otvoren {at} kao ciklus {cycle}: {reason}",
    ),
    "published_text": ("Published text", "Objavljeni tekst"),
    "text": ("Text", "Tekst"),
    # round summary
    "round_details": ("The round", "Krug praćenja"),
    "deadlines": (
        "Assessments due {assessments}; co-signing closes {co_signing}; Council session {session}",
        "Rok za ocene {assessments}; supotpisivanje do {co_signing}; sednica Saveta {session}",
    ),
    "phase": ("Phase", "Faza"),
    "quorum": ("Co-signatures needed to submit", "Broj supotpisa potreban za podnošenje"),
    "overview": ("Overview", "Pregled"),
    "count.recommendations": ("Recommendations in the round", "Preporuke u krugu"),
    "count.cso": ("Submitted civil-society assessments", "Podnete ocene civilnog društva"),
    "count.gov": ("Submitted government assessments", "Podnete ocene Vlade"),
    "count.positions": ("Joint positions", "Zajednički stavovi"),
    "count.adopted": (
        "Adopted or published joint positions",
        "Usvojeni ili objavljeni zajednički stavovi",
    ),
    "count.divergent": (
        "Recommendations with diverging ratings",
        "Preporuke sa različitim ocenama",
    ),
    "status_distribution": ("Official status", "Zvanični status"),
    "count": ("Count", "Broj"),
    "share": ("Share", "Udeo"),
    "by_mechanism": ("Official status by mechanism", "Zvanični status po mehanizmu"),
    "by_theme": ("Official status by theme", "Zvanični status po temi"),
    "total": ("Total", "Ukupno"),
    "ratings_by_track": ("Submitted ratings by track", "Podnete ocene po koloseku"),
    "divergences": (
        "Where the government and civil-society ratings diverge",
        "Gde se ocene Vlade i civilnog društva razlikuju",
    ),
    "no_divergences": (
        "No recommendation has diverging ratings from the two tracks.",
        "Nijedna preporuka nema različite ocene dva koloseka.",
    ),
    "gap": ("Gap", "Razlika"),
    "all_recommendations": ("Every recommendation of the round", "Sve preporuke kruga"),
    "no_theme": ("No theme", "Bez teme"),
    "joint_position": ("Joint position", "Zajednički stav"),
    "chart.status": (
        "Official status of the round's recommendations",
        "Zvanični status preporuka kruga",
    ),
    "chart.tracks": ("Submitted ratings by track", "Podnete ocene po koloseku"),
    "chart.themes": ("Official status by theme", "Zvanični status po temi"),
    # audit trail
    "subject": ("Subject", "Predmet"),
    "id": ("Id", "Identifikator"),
    "events": ("Events", "Događaji"),
    "event": ("Event", "Događaj"),
    "actor": ("Actor", "Akter"),
    "leaf": ("Leaf {index}, SHA-256", "List {index}, SHA-256"),
    "not_in_tree": ("not yet in the audit tree", "još nije u revizorskom stablu"),
    "events_count": ("{count} events", "Broj događaja: {count}"),
    "subject.recommendation": ("Recommendation", "Preporuka"),
    "subject.assessment": ("Assessment", "Ocena"),
    "subject.joint_position": ("Joint position", "Zajednički stav"),
    "subject.round": ("Monitoring round", "Krug praćenja"),
    "subject.organisation": ("Organisation", "Organizacija"),
    "subject.member": ("Member", "Član"),
    "subject.comment": ("Comment", "Komentar"),
    # values
    "status.not_assessed": ("not assessed", "nije ocenjeno"),
    "status.not_implemented": ("not implemented", "nije sprovedeno"),
    "status.partially_implemented": ("partially implemented", "delimično sprovedeno"),
    "status.fully_implemented": ("fully implemented", "potpuno sprovedeno"),
    "response.supported": ("supported", "podržana"),
    "response.noted": ("noted", "primljena k znanju"),
    "response.partially_supported": ("partially supported", "delimično podržana"),
    "response.not_stated": ("not stated", "nije navedeno"),
    "assessment.draft": ("draft", "nacrt"),
    "assessment.open_for_signature": ("open for signature", "otvorena za potpis"),
    "assessment.submitted": ("submitted", "podneta"),
    "assessment.withdrawn": ("withdrawn", "povučena"),
    "position.drafting": ("drafting", "u izradi"),
    "position.adopted": ("adopted", "usvojen"),
    "position.published": ("published", "objavljen"),
    "phase.assessment": ("assessment", "ocenjivanje"),
    "phase.co_signing": ("co-signing", "supotpisivanje"),
    "phase.council_session": ("Council session", "sednica Saveta"),
    "phase.closed": ("closed", "zatvoren"),
    "evidence.law": ("law", "propis"),
    "evidence.report": ("report", "izveštaj"),
    "evidence.statistics": ("statistics", "statistika"),
    "evidence.court_decision": ("court decision", "sudska odluka"),
    "evidence.media": ("media", "mediji"),
    "evidence.testimony": ("testimony", "svedočenje"),
    "evidence.other": ("other", "drugo"),
    # events, for the audit trail
    "event.Recommendation.Recorded": ("catalogued", "katalogizovana"),
    "event.Recommendation.Updated": ("catalogue entry updated", "stavka kataloga izmenjena"),
    "event.Recommendation.ResponsibleBodiesAssigned": (
        "responsible bodies assigned",
        "određeni odgovorni organi",
    ),
    "event.Recommendation.StatusChanged": ("official status changed", "zvanični status promenjen"),
    "event.Organisation.Registered": ("organisation registered", "organizacija upisana"),
    "event.Organisation.Renamed": ("organisation renamed", "organizacija preimenovana"),
    "event.Organisation.PlatformMembershipChanged": (
        "Platform membership changed",
        "članstvo u Platformi promenjeno",
    ),
    "event.Member.Registered": ("member registered", "član upisan"),
    "event.Member.RolesChanged": ("roles changed", "uloge promenjene"),
    "event.Member.Deactivated": ("member deactivated", "član deaktiviran"),
    "event.Member.PersonalDataErased": ("personal data erased", "lični podaci izbrisani"),
    "event.MonitoringRound.Opened": ("round opened", "krug otvoren"),
    "event.MonitoringRound.RecommendationsAdded": ("recommendations added", "preporuke dodate"),
    "event.MonitoringRound.PhaseAdvanced": ("phase advanced", "faza promenjena"),
    "event.Assessment.Proposed": ("assessment proposed", "ocena predložena"),
    "event.Assessment.Revised": ("assessment revised", "ocena revidirana"),
    "event.Assessment.OpenedForSignature": ("opened for signature", "otvorena za potpis"),
    "event.Assessment.CoSigned": ("co-signed", "supotpisana"),
    "event.Assessment.CoSignatureWithdrawn": ("co-signature withdrawn", "supotpis povučen"),
    "event.Assessment.Submitted": ("assessment submitted", "ocena podneta"),
    "event.Assessment.Withdrawn": ("assessment withdrawn", "ocena povučena"),
    "event.JointPosition.Drafted": ("joint position drafted", "zajednički stav sačinjen"),
    "event.JointPosition.Revised": ("joint position revised", "zajednički stav revidiran"),
    "event.JointPosition.AmendmentProposed": ("amendment proposed", "amandman predložen"),
    "event.JointPosition.AmendmentAccepted": ("amendment accepted", "amandman prihvaćen"),
    "event.JointPosition.AmendmentRejected": ("amendment rejected", "amandman odbijen"),
    "event.JointPosition.Endorsed": ("endorsed", "podržan"),
    "event.JointPosition.DissentRecorded": ("dissent recorded", "izdvojeno mišljenje zabeleženo"),
    "event.JointPosition.Adopted": ("adopted", "usvojen"),
    "event.JointPosition.Published": ("published", "objavljen"),
    "event.JointPosition.Reopened": ("reopened", "ponovo otvoren"),
    "event.Comment.Posted": ("comment posted", "komentar objavljen"),
    "event.Comment.Edited": ("comment edited", "komentar izmenjen"),
    "event.Comment.Retracted": ("comment retracted", "komentar povučen"),
    "event.Comment.Hidden": ("comment hidden by moderation", "komentar sakriven moderacijom"),
}


def translator(language: str) -> Callable[..., str]:
    """``t(key, **fields)`` in ``language``; an unknown key is shown as itself."""
    index = 0 if language == "en" else 1
    cyrillic = language == "sr-Cyrl"
    cache: dict[str, str] = {}

    def word(key: str) -> str:
        found = cache.get(key)
        if found is None:
            entry = WORDS.get(key)
            found = key if entry is None else entry[index]
            if cyrillic and entry is not None:
                found = to_cyrillic(found)
            cache[key] = found
        return found

    def t(key: str, **fields: object) -> str:
        text = word(key)
        return text.format(**{k: str(v) for k, v in fields.items()}) if fields else text

    return t
