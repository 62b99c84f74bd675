"""Positions (职务): the realm roles of Keycloak's `zgov` realm (deploy/keycloak/realm-zgov.json), named
once for every service. Who holds them is org's to say; these are only their names.

A4, A6: the city government is the mayor, the vice mayors and the secretary-general with the heads
of its departments; A10: the executive vice mayor acts for the absent mayor.
"""

MAYOR = "mayor"  # 市长
EXECUTIVE_VICE_MAYOR = "executive-vice-mayor"  # 常务副市长 (负责常务工作的副市长)
VICE_MAYOR = "vice-mayor"  # 副市长
SECRETARY_GENERAL = "secretary-general"  # 秘书长
DEPUTY_SECRETARY_GENERAL = "deputy-secretary-general"  # 副秘书长
DEPARTMENT_HEAD = "department-head"  # 委/办/室 主任, 局长
COUNTY_HEAD = "county-head"  # 县（区）长, 管委会主任
OFFICE_STAFF = "office-staff"  # 市政府办公室工作人员
RESEARCH_OFFICE_STAFF = "research-office-staff"  # 市政府研究室工作人员
JUSTICE_REVIEWER = "justice-reviewer"  # 司法局 legality review
SUPERVISION_OFFICER = "supervision-officer"  # 督查室
PETITION_OFFICER = "petition-officer"  # 信访局
DISCLOSURE_OFFICER = "disclosure-officer"  # 政务公开
SECURITY_OFFICER = "security-officer"  # 保密 / 安全
CITIZEN = "citizen"  # 公民 (the portal's self-registered users)

# City leaders (市政府领导同志): the mayor, the vice mayors and the secretary-general.
CITY_LEADERS = frozenset({MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR, SECRETARY_GENERAL})
