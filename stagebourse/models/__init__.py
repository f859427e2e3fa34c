"""The domain model. Importing this package registers every table on the metadata."""

from stagebourse.models.agreements import (
    PARTIES,
    Agreement,
    AgreementCode,
    AgreementPaperScan,
    AgreementSettings,
    AgreementSignature,
    AgreementState,
    AgreementVersion,
    PaperScanState,
    Party,
    SignatureMethod,
)
from stagebourse.models.base import Base, Level, utcnow
from stagebourse.models.campaigns import Campaign, CampaignSchoolWeek, CampaignState
from stagebourse.models.companies import (
    ApiToken,
    CharterStatus,
    Company,
    CompanyKind,
    CompanyState,
    JoinRequest,
    Tutor,
    TutorLink,
)
from stagebourse.models.help import CallbackCount, CallbackRequest
from stagebourse.models.jobs import Job, JobState
from stagebourse.models.journal import JournalEntry
from stagebourse.models.matching import (
    HOST_REFUSALS,
    Assignment,
    AssignmentState,
    DeclinedBy,
    HostReason,
    MatchingRun,
    RunState,
    WithdrawalRequest,
    WithdrawalState,
)
from stagebourse.models.materials import Audience, Material, MaterialAcknowledgement
from stagebourse.models.offer_index import (
    OfferDistance,
    OfferIndexState,
    OfferSummary,
    OfferText,
)
from stagebourse.models.offers import Offer, OfferState, OfferWeek
from stagebourse.models.outbox import OutboxMessage, OutboxState
from stagebourse.models.outreach import CharterProspect
from stagebourse.models.pupils import ConsentMethod, Gender, Pupil
from stagebourse.models.questionnaires import (
    InvitationChannel,
    Questionnaire,
    QuestionnaireInvitation,
    QuestionnaireInvitee,
    QuestionnaireResponse,
    QuestionnaireSheet,
    QuestionnaireState,
    Respondent,
)
from stagebourse.models.reference import Commune, Priority, School, SchoolKind, Sector
from stagebourse.models.releases import ObservatoryRelease, ReleaseKind
from stagebourse.models.requests import MAX_WISHES, Request, RequestState, Wish
from stagebourse.models.users import LoginFailure, Role, User

__all__ = [
    "HOST_REFUSALS", "MAX_WISHES", "PARTIES", "Agreement", "AgreementCode", "AgreementPaperScan",
    "AgreementSettings",
    "AgreementSignature", "AgreementState", "AgreementVersion", "ApiToken", "Assignment",
    "AssignmentState", "Audience", "Base", "CallbackCount", "CallbackRequest", "Campaign",
    "CampaignSchoolWeek", "CampaignState",
    "CharterProspect", "CharterStatus", "Commune", "Company", "CompanyKind", "CompanyState",
    "ConsentMethod",
    "DeclinedBy", "Gender", "HostReason", "InvitationChannel", "Job", "JobState", "JournalEntry",
    "Level", "LoginFailure", "MatchingRun",
    "Material", "MaterialAcknowledgement", "Offer", "OfferDistance", "OfferIndexState",
    "OfferState", "OfferSummary", "OfferText", "OfferWeek", "OutboxMessage",
    "OutboxState", "PaperScanState", "Party", "Priority", "Pupil", "Questionnaire",
    "QuestionnaireInvitation",
    "ObservatoryRelease", "QuestionnaireInvitee", "QuestionnaireResponse", "QuestionnaireSheet",
    "QuestionnaireState", "ReleaseKind", "Request", "RequestState", "Respondent", "Role",
    "RunState", "School", "SchoolKind", "Sector",
    "SignatureMethod", "JoinRequest", "Tutor", "TutorLink", "User", "Wish", "WithdrawalRequest",
    "WithdrawalState",
    "utcnow",
]
