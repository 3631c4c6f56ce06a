/*
 * SsprValidateProxyServer: an immediate custom action that checks the public
 * property PROXYSERVER before LaunchConditions, so that a bad value refuses the
 * install before anything is written. It sets the private property
 * SsprProxyServerValid to "1" when PROXYSERVER is host:port, and to "" (unset)
 * otherwise; a launch condition refuses the install unless it is "1". Private,
 * so no command line can set it: the action always overwrites it.
 *
 * The rule is sspr-msi's own (config::validate_proxy_server): a host of ASCII
 * letters, digits, '.', '-' and '_' (1 to 253 characters), one ':' before the
 * port, and a port of 1 to 65535 written without sign or leading zero.
 */
#define WIN32_LEAN_AND_MEAN
#define UNICODE
#define _UNICODE
#include <windows.h>
#include <msi.h>
#include <msiquery.h>

#define SERVER_PROPERTY L"PROXYSERVER"
#define VALID_PROPERTY  L"SsprProxyServerValid"
/* Longer than any valid host:port (253 + 1 + 5); a longer value is invalid anyway. */
#define MAX_SERVER 300

static int IsHostChar(WCHAR c)
{
    return (c >= L'a' && c <= L'z') || (c >= L'A' && c <= L'Z') ||
           (c >= L'0' && c <= L'9') || c == L'.' || c == L'-' || c == L'_';
}

/* Whether text[0..len) is host:port by the rule above. */
static int IsHostPort(const WCHAR *text, DWORD len)
{
    DWORD colon = len, i;
    unsigned long port = 0;
    for (i = 0; i < len; i++)
        if (text[i] == L':') colon = i;
    if (colon == len || colon == 0 || colon > 253) return 0;
    for (i = 0; i < colon; i++)
        if (!IsHostChar(text[i])) return 0;
    if (len - colon - 1 < 1 || len - colon - 1 > 5 || text[colon + 1] == L'0') return 0;
    for (i = colon + 1; i < len; i++) {
        if (text[i] < L'0' || text[i] > L'9') return 0;
        port = port * 10 + (unsigned long)(text[i] - L'0');
    }
    return port >= 1 && port <= 65535;
}

static void LogLine(MSIHANDLE install, const WCHAR *text)
{
    MSIHANDLE record = MsiCreateRecord(1);
    if (!record) return;
    MsiRecordSetStringW(record, 0, text);
    MsiProcessMessage(install, INSTALLMESSAGE_INFO, record);
    MsiCloseHandle(record);
}

UINT __stdcall SsprValidateProxyServer(MSIHANDLE install)
{
    WCHAR server[MAX_SERVER + 1];
    DWORD len = MAX_SERVER + 1;
    UINT read = MsiGetPropertyW(install, SERVER_PROPERTY, server, &len);
    int valid = read == ERROR_SUCCESS && IsHostPort(server, len);
    MsiSetPropertyW(install, VALID_PROPERTY, valid ? L"1" : L"");
    LogLine(install, valid ? L"SsprProxyCA: PROXYSERVER is host:port"
                           : L"SsprProxyCA: PROXYSERVER is missing or not host:port; the install is refused");
    /* The launch condition refuses with the message admins see; this action never fails. */
    return ERROR_SUCCESS;
}
