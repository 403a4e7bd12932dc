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
)
