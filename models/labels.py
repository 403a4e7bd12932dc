"""The label vocabulary: entity names follow Presidio's."""

PII_ENTITIES: tuple[str, ...] = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "US_SSN",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "STREET_ADDRESS",
    "DATE_OF_BIRTH",
    "US_DRIVER_LICENSE",
    "US_PASSPORT",
    "SG_NRIC_FIN",
    "URL",
    "IT_FISCAL_CODE",
    "ES_NIF",
    "BR_CPF",
    "FR_NIR",
    "NL_BSN",
    "PL_PESEL",
    "KR_RRN",
    "CN_RESIDENT_ID",
)

#: National identifiers of people: the training corpus draws them as US SSNs, so the category
#: model reads every one of them as one (``classifiers.business.features.table_features``).
NATIONAL_ID_ENTITIES: frozenset[str] = frozenset(
    {"US_SSN", "SG_NRIC_FIN", "IT_FISCAL_CODE", "ES_NIF", "BR_CPF", "FR_NIR", "NL_BSN",
     "PL_PESEL", "KR_RRN", "CN_RESIDENT_ID"}
)  # fmt: skip
