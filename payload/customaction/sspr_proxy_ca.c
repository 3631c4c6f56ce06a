/*
 * SsprProxyCA.dll - deferred custom actions that apply the SSPR proxy
 * workarounds (issue #7) to the machine hive or to the Default user profile
 * hive, with an exact rollback and an uninstall that puts back what was there.
 *
 * Entry points (UINT __stdcall Name(MSIHANDLE), exported undecorated):
 *   SsprRegistryApply      install (and rollback of SsprRegistryRemove)
 *   SsprRegistryUndoApply  rollback of SsprRegistryApply
 *   SsprRegistryRemove     uninstall
 * Each returns ERROR_SUCCESS (0) or ERROR_INSTALL_FAILURE (1603).
 *
 * Input: the CustomActionData property only, UTF-16 text, records separated
 * by LF; a trailing CR on a record is dropped and empty records are ignored.
 *   hive=machine | hive=default-profile      first record, required, once
 *   view=64 | view=32                        required, once, before key=
 *   backup=PATH                              required, once, before key=
 *                                            (PATH: key under HKLM, in view)
 *   key=PATH                                 following values apply to it
 *                                            (relative to the hive's root)
 *   dword:NAME=DECIMAL                       0..4294967295
 *   sz:NAME=TEXT                             TEXT = all after the first '='
 * NAME may be empty (the key's default value) but may not contain '='.
 * PATH: non-empty, components separated by single '\', no leading or
 * trailing '\'. Anything else is an error: logged, 1603, and nothing changed
 * (the whole input is validated before the first registry write).
 *
 * Backup layout (all under HKLM\<backup>, opened in <view>; it is registry,
 * so it survives a reboot between install and uninstall):
 *
 *   <backup>\<hive>\<flat key>              one "entry key" per target key
 *       KeyCreated  REG_DWORD  1 = the target key did not exist when the
 *                              first value of this key was backed up, else 0
 *       CreatedTop  REG_SZ     (only when KeyCreated = 1) the shallowest
 *                              ancestor of the target key (relative to the
 *                              hive root) that did not exist then; undo
 *                              deletes the key and its parents up to and
 *                              including this one, each only if empty
 *   <backup>\<hive>\<flat key>\Values       the earlier value NAME, copied
 *                              type-for-type (same name, type and bytes)
 *   <backup>\<hive>\<flat key>\Written      the value NAME as Apply last wrote it;
 *                              Remove compares the current value with it
 *   <backup>\<hive>\<flat key>\Absent       NAME = REG_DWORD 1: value NAME
 *                              did not exist earlier
 *
 * <hive> is "machine" or "default-profile". <flat key> is the target key path
 * made into one key name: '%' -> "%25", '/' -> "%2F", then '\' -> '/'
 * (reversible, so two different keys never share an entry key).
 * A value has a backup entry iff its NAME is in Values or in Absent. Apply
 * never overwrites an existing entry (the earliest state wins). Undo/Remove
 * drop the entry after dealing with the value, then delete empty entry keys,
 * <backup>\<hive>, <backup> and <backup>'s parents when empty, never the
 * first component of <backup> (e.g. SOFTWARE).
 *
 * Every step is logged with MsiProcessMessage(INSTALLMESSAGE_INFO); every
 * line starts with "SsprProxyCA: " (formats in payload/README.md).
 *
 * No CRT use beyond what mingw's DLL startup brings: heap buffers from
 * HeapAlloc, every length checked, nothing truncated.
 */
#define WIN32_LEAN_AND_MEAN
#define UNICODE
#define _UNICODE
#include <windows.h>
#include <msi.h>
#include <msiquery.h>
#include <stdarg.h>

#define CA_OK   ERROR_SUCCESS
#define CA_FAIL ERROR_INSTALL_FAILURE

#define MOUNT_NAME   L"SSPR_DefaultProfile"
#define MOUNT_LOG    L"HKU\\SSPR_DefaultProfile"
#define PROFILE_LIST L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList"

/* ------------------------------------------------------------------------ */
/* Small helpers: memory, strings                                            */
/* ------------------------------------------------------------------------ */

static void *Alloc(SIZE_T n) { return HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, n ? n : 1); }
static void Free(void *p) { if (p) HeapFree(GetProcessHeap(), 0, p); }

static SIZE_T WLen(const WCHAR *s) { SIZE_T n = 0; while (s[n]) n++; return n; }

static int WEqN(const WCHAR *a, const WCHAR *b, SIZE_T n)
{
    SIZE_T i;
    for (i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static int WEq(const WCHAR *a, const WCHAR *b)
{
    SIZE_T n = WLen(a);
    return n == WLen(b) && WEqN(a, b, n);
}

/* Growable UTF-16 string; on allocation failure it sets oom and stops growing. */
typedef struct Str { WCHAR *p; SIZE_T len, cap; int oom; } Str;

static void StrAddN(Str *s, const WCHAR *t, SIZE_T n)
{
    if (s->oom) return;
    if (s->len + n + 1 > s->cap) {
        SIZE_T cap = s->cap ? s->cap : 64;
        WCHAR *np;
        while (cap < s->len + n + 1) cap *= 2;
        np = (WCHAR *)Alloc(cap * sizeof(WCHAR));
        if (!np) { s->oom = 1; return; }
        if (s->p) { CopyMemory(np, s->p, s->len * sizeof(WCHAR)); Free(s->p); }
        s->p = np; s->cap = cap;
    }
    CopyMemory(s->p + s->len, t, n * sizeof(WCHAR));
    s->len += n;
    s->p[s->len] = 0;
}
static void StrAdd(Str *s, const WCHAR *t) { StrAddN(s, t, WLen(t)); }
static void StrAddU64(Str *s, ULONGLONG v)
{
    WCHAR buf[24]; int i = 23; buf[i] = 0;
    do { buf[--i] = (WCHAR)(L'0' + (v % 10)); v /= 10; } while (v && i > 0);
    StrAdd(s, buf + i);
}
static void StrFree(Str *s) { Free(s->p); s->p = NULL; s->len = s->cap = 0; s->oom = 0; }
/* A NUL-terminated copy of s (never NULL unless out of memory). */
static const WCHAR *StrZ(const Str *s) { return s->p ? s->p : L""; }

/* Concatenate NULL-terminated list of strings into a new heap string. */
static WCHAR *Cat(const WCHAR *first, ...)
{
    Str s = {0};
    const WCHAR *t;
    va_list ap;
    va_start(ap, first);
    for (t = first; t; t = va_arg(ap, const WCHAR *)) StrAdd(&s, t);
    va_end(ap);
    if (s.oom) { StrFree(&s); return NULL; }
    if (!s.p) StrAdd(&s, L"");
    return s.p;
}

/* ------------------------------------------------------------------------ */
/* Logging                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct Ctx {
    MSIHANDLE h;
    const WCHAR *action;      /* entry point name, for the log */
    /* parsed header */
    int hive_set, view_set;
    int default_profile;      /* 0 = machine, 1 = default-profile */
    REGSAM view;              /* KEY_WOW64_64KEY or KEY_WOW64_32KEY */
    const WCHAR *backup;      /* points into the CustomActionData copy */
    /* runtime */
    HKEY root;                /* HKLM, or the opened HKU\SSPR_DefaultProfile */
    const WCHAR *root_name;   /* "HKLM" or "HKU\SSPR_DefaultProfile" */
    const WCHAR *hive_name;   /* "machine" or "default-profile" */
} Ctx;

/*
 * Send one line to the installer log. The text goes in record field 1 and
 * field 0 is the template "[1]", so brackets or braces in registry data are
 * never taken for Formatted-string syntax; the logged line is the text.
 */
static void LogStr(Ctx *c, const WCHAR *text)
{
    MSIHANDLE rec = MsiCreateRecord(1);
    if (!rec) return;
    MsiRecordSetStringW(rec, 0, L"[1]");
    MsiRecordSetStringW(rec, 1, text);
    MsiProcessMessage(c->h, INSTALLMESSAGE_INFO, rec);
    MsiCloseHandle(rec);
}

/* Log "SsprProxyCA: " followed by the NULL-terminated list of strings. */
static void Log(Ctx *c, const WCHAR *first, ...)
{
    Str s = {0};
    const WCHAR *t;
    va_list ap;
    StrAdd(&s, L"SsprProxyCA: ");
    va_start(ap, first);
    for (t = first; t; t = va_arg(ap, const WCHAR *)) StrAdd(&s, t);
    va_end(ap);
    if (!s.oom) LogStr(c, StrZ(&s));
    StrFree(&s);
}

/* Decimal / hex text of a number, in a caller-provided small buffer. */
static const WCHAR *Dec(WCHAR buf[24], ULONGLONG v)
{
    int i = 23; buf[i] = 0;
    do { buf[--i] = (WCHAR)(L'0' + (v % 10)); v /= 10; } while (v && i > 0);
    return buf + i;
}

static void LogErr(Ctx *c, const WCHAR *what, const WCHAR *obj, LONG err)
{
    WCHAR b[24];
    Log(c, L"ERROR: ", what, obj ? L" " : L"", obj ? obj : L"", L" failed: error ", Dec(b, (DWORD)err), NULL);
}

/* ------------------------------------------------------------------------ */
/* Registry values as (type, bytes)                                          */
/* ------------------------------------------------------------------------ */

typedef struct Val { DWORD type; BYTE *data; DWORD size; } Val;

static void ValFree(Val *v) { Free(v->data); v->data = NULL; v->size = 0; }

static const WCHAR *TypeName(DWORD t, WCHAR buf[24])
{
    switch (t) {
    case REG_NONE: return L"REG_NONE";
    case REG_SZ: return L"REG_SZ";
    case REG_EXPAND_SZ: return L"REG_EXPAND_SZ";
    case REG_BINARY: return L"REG_BINARY";
    case REG_DWORD: return L"REG_DWORD";
    case REG_DWORD_BIG_ENDIAN: return L"REG_DWORD_BIG_ENDIAN";
    case REG_LINK: return L"REG_LINK";
    case REG_MULTI_SZ: return L"REG_MULTI_SZ";
    case REG_QWORD: return L"REG_QWORD";
    default: {
        WCHAR d[24];                          /* "REG_TYPE_<n>" */
        const WCHAR *n = Dec(d, t);
        SIZE_T i = 0, k;
        static const WCHAR pre[] = L"REG_TYPE_";
        for (k = 0; pre[k] && i < 23; k++) buf[i++] = pre[k];
        for (k = 0; n[k] && i < 23; k++) buf[i++] = n[k];
        buf[i] = 0;
        return buf;
    }
    }
}

/* Append the display form of a value: "<TYPE> <data>". */
static void StrAddVal(Str *s, const Val *v)
{
    WCHAR tb[24];
    StrAdd(s, TypeName(v->type, tb));
    StrAdd(s, L" ");
    switch (v->type) {
    case REG_SZ: case REG_EXPAND_SZ: case REG_LINK: {
        SIZE_T n = v->size / sizeof(WCHAR);
        const WCHAR *w = (const WCHAR *)v->data;
        while (n && w[n - 1] == 0) n--;       /* stored terminator(s) */
        StrAddN(s, w, n);
        break;
    }
    case REG_MULTI_SZ: {                      /* items joined by "\0" */
        SIZE_T n = v->size / sizeof(WCHAR), i;
        const WCHAR *w = (const WCHAR *)v->data;
        while (n && w[n - 1] == 0) n--;
        for (i = 0; i < n; i++) {
            if (w[i] == 0) StrAdd(s, L"\\0"); else StrAddN(s, w + i, 1);
        }
        break;
    }
    case REG_DWORD:
        if (v->size == 4) { StrAddU64(s, *(const DWORD *)v->data); break; }
        /* fall through */
    case REG_QWORD:
        if (v->type == REG_QWORD && v->size == 8) {
            ULONGLONG q; CopyMemory(&q, v->data, 8); StrAddU64(s, q); break;
        }
        /* fall through */
    default: {                                /* hex bytes */
        static const WCHAR hex[] = L"0123456789abcdef";
        DWORD i;
        StrAdd(s, L"hex:");
        for (i = 0; i < v->size; i++) {
            WCHAR b[3];
            b[0] = hex[v->data[i] >> 4]; b[1] = hex[v->data[i] & 15]; b[2] = 0;
            StrAdd(s, b);
        }
        break;
    }
    }
}

/*
 * Read a value. Returns ERROR_SUCCESS (v filled), ERROR_FILE_NOT_FOUND
 * (value absent) or another error. Grows the buffer until the data fits.
 */
static LONG ReadVal(HKEY k, const WCHAR *name, Val *v)
{
    DWORD size = 0, type = 0;
    LONG r;
    v->data = NULL; v->size = 0; v->type = 0;
    r = RegQueryValueExW(k, name, NULL, &type, NULL, &size);
    if (r != ERROR_SUCCESS) return r;
    for (;;) {
        /* Two spare WCHARs after the data, always zero: a terminator. */
        DWORD cap = size;
        BYTE *buf = (BYTE *)Alloc((SIZE_T)cap + 2 * sizeof(WCHAR));
        if (!buf) return ERROR_OUTOFMEMORY;
        size = cap;
        r = RegQueryValueExW(k, name, NULL, &type, buf, &size);
        if (r == ERROR_SUCCESS) { v->type = type; v->data = buf; v->size = size; return r; }
        Free(buf);
        if (r != ERROR_MORE_DATA) return r;
    }
}

static LONG WriteVal(HKEY k, const WCHAR *name, const Val *v)
{
    return RegSetValueExW(k, name, 0, v->type, v->data, v->size);
}

/* Same type and same data (string types: ignoring the stored terminator). */
static int ValEq(const Val *a, const Val *b)
{
    DWORD sa = a->size, sb = b->size;
    if (a->type != b->type) return 0;
    if (a->type == REG_SZ || a->type == REG_EXPAND_SZ) {
        const WCHAR *wa = (const WCHAR *)a->data, *wb = (const WCHAR *)b->data;
        SIZE_T na = sa / sizeof(WCHAR), nb = sb / sizeof(WCHAR);
        while (na && wa[na - 1] == 0) na--;
        while (nb && wb[nb - 1] == 0) nb--;
        return na == nb && WEqN(wa, wb, na);
    }
    return sa == sb && (sa == 0 || RtlEqualMemory(a->data, b->data, sa));
}

/* ------------------------------------------------------------------------ */
/* CustomActionData                                                          */
/* ------------------------------------------------------------------------ */

typedef enum { R_SKIP, R_HIVE, R_VIEW, R_BACKUP, R_KEY, R_DWORD, R_SZ } RecKind;

typedef struct Rec {
    RecKind kind;
    const WCHAR *arg;   /* key path, or value NAME (NUL-terminated in place) */
    const WCHAR *text;  /* sz: TEXT */
    DWORD dword;        /* dword: value */
} Rec;

static int StartsWith(const WCHAR *s, const WCHAR *p)
{
    SIZE_T n = WLen(p);
    return WLen(s) >= n && WEqN(s, p, n);
}

static int ValidPath(const WCHAR *p)
{
    SIZE_T n = WLen(p), i;
    if (n == 0 || p[0] == L'\\' || p[n - 1] == L'\\') return 0;
    for (i = 1; i < n; i++)
        if (p[i] == L'\\' && p[i - 1] == L'\\') return 0;
    return 1;
}

/* Parse one record (modified in place: '=' of value records becomes NUL). */
static int ParseRec(WCHAR *s, Rec *r)
{
    r->kind = R_SKIP; r->arg = NULL; r->text = NULL; r->dword = 0;
    if (s[0] == 0) return 1;
    if (StartsWith(s, L"hive=")) { r->kind = R_HIVE; r->arg = s + 5; return 1; }
    if (StartsWith(s, L"view=")) { r->kind = R_VIEW; r->arg = s + 5; return 1; }
    if (StartsWith(s, L"backup=")) { r->kind = R_BACKUP; r->arg = s + 7; return ValidPath(r->arg); }
    if (StartsWith(s, L"key=")) { r->kind = R_KEY; r->arg = s + 4; return ValidPath(r->arg); }
    if (StartsWith(s, L"dword:") || StartsWith(s, L"sz:")) {
        int dw = s[0] == L'd';
        WCHAR *name = s + (dw ? 6 : 3), *eq = name;
        while (*eq && *eq != L'=') eq++;
        if (*eq != L'=') return 0;
        *eq = 0;
        r->arg = name;
        if (!dw) { r->kind = R_SZ; r->text = eq + 1; return 1; }
        {
            const WCHAR *d = eq + 1;
            ULONGLONG v = 0;
            if (*d == 0) return 0;
            for (; *d; d++) {
                if (*d < L'0' || *d > L'9') return 0;
                v = v * 10 + (ULONGLONG)(*d - L'0');
                if (v > 0xFFFFFFFFull) return 0;
            }
            r->kind = R_DWORD; r->dword = (DWORD)v;
            return 1;
        }
    }
    return 0;
}

/*
 * Split data into records (in place). Returns the number of records, or -1
 * on out-of-memory. *recs is a heap array of pointers into data.
 */
static int SplitRecords(WCHAR *data, WCHAR ***recs)
{
    SIZE_T n = 1, i, k = 0;
    WCHAR *p;
    for (p = data; *p; p++) if (*p == L'\n') n++;
    *recs = (WCHAR **)Alloc(n * sizeof(WCHAR *));
    if (!*recs) return -1;
    (*recs)[k++] = data;
    for (p = data; *p; p++) {
        if (*p == L'\n') { *p = 0; (*recs)[k++] = p + 1; }
    }
    for (i = 0; i < k; i++) {
        SIZE_T l = WLen((*recs)[i]);
        if (l && (*recs)[i][l - 1] == L'\r') (*recs)[i][l - 1] = 0;
    }
    return (int)k;
}

/* ------------------------------------------------------------------------ */
/* Registry helpers (every open uses the configured view)                    */
/* ------------------------------------------------------------------------ */

static LONG OpenKey(Ctx *c, HKEY root, const WCHAR *path, REGSAM sam, HKEY *out)
{
    *out = NULL;
    return RegOpenKeyExW(root, path, 0, sam | c->view, out);
}

static LONG CreateKey(Ctx *c, HKEY root, const WCHAR *path, HKEY *out)
{
    *out = NULL;
    return RegCreateKeyExW(root, path, 0, NULL, REG_OPTION_NON_VOLATILE,
                           KEY_ALL_ACCESS | c->view, NULL, out, NULL);
}

static void Close(HKEY *k) { if (*k) { RegCloseKey(*k); *k = NULL; } }

/* 1 if the key exists and has no values and no subkeys; 0 otherwise. */
static int KeyIsEmpty(Ctx *c, HKEY root, const WCHAR *path)
{
    HKEY k; DWORD subkeys = 1, values = 1;
    if (OpenKey(c, root, path, KEY_READ, &k) != ERROR_SUCCESS) return 0;
    if (RegQueryInfoKeyW(k, NULL, NULL, NULL, &subkeys, NULL, NULL, &values,
                         NULL, NULL, NULL, NULL) != ERROR_SUCCESS) subkeys = 1;
    Close(&k);
    return subkeys == 0 && values == 0;
}

static int KeyExists(Ctx *c, HKEY root, const WCHAR *path)
{
    HKEY k;
    if (OpenKey(c, root, path, KEY_READ, &k) != ERROR_SUCCESS) return 0;
    Close(&k);
    return 1;
}

/* Delete root\path (must have no subkeys) in the view. */
static LONG DeleteKey(Ctx *c, HKEY root, const WCHAR *path)
{
    return RegDeleteKeyExW(root, path, c->view, 0);
}

/*
 * Delete root\path if empty, then its parents while empty, stopping after
 * `stop` (deleted too if empty) when stop is non-NULL, or before the first
 * path component when stop is NULL. Logs each deletion as
 * "deleted key <shown_root>\<path>". Returns 0 or an error.
 */
static LONG DeleteEmptyUpwards(Ctx *c, HKEY root, const WCHAR *shown_root,
                               const WCHAR *path, const WCHAR *stop)
{
    WCHAR *p = Cat(path, NULL);
    SIZE_T stop_len = stop ? WLen(stop) : 0;
    LONG result = ERROR_SUCCESS;
    if (!p) return ERROR_OUTOFMEMORY;
    for (;;) {
        SIZE_T n = WLen(p), i;
        int top = 1;
        for (i = 0; i < n; i++) if (p[i] == L'\\') { top = 0; break; }
        if (!stop && top) break;              /* never the first component */
        if (stop && n < stop_len) break;      /* above the created part */
        if (!KeyIsEmpty(c, root, p)) break;
        {
            LONG r = DeleteKey(c, root, p);
            if (r != ERROR_SUCCESS) { LogErr(c, L"RegDeleteKeyExW", p, r); result = r; break; }
            Log(c, L"deleted key ", shown_root, L"\\", p, NULL);
        }
        if (stop && n == stop_len) break;
        if (top) break;
        /* cut the last component */
        for (i = n; i > 0 && p[i - 1] != L'\\'; i--) {}
        if (i == 0) break;
        p[i - 1] = 0;
    }
    Free(p);
    return result;
}

/* Shallowest ancestor of path (or path itself) that does not exist; NULL if it exists. */
static WCHAR *FirstMissing(Ctx *c, HKEY root, const WCHAR *path)
{
    WCHAR *p = Cat(path, NULL);
    SIZE_T n, i;
    if (!p) return NULL;
    n = WLen(p);
    for (i = 0; i <= n; i++) {
        if (i == n || p[i] == L'\\') {
            WCHAR save = p[i];
            p[i] = 0;
            if (!KeyExists(c, root, p)) return p;   /* p now is the prefix */
            p[i] = save;
        }
    }
    Free(p);
    return NULL;
}

/* "<backup>\<hive>\<flat key>" */
static WCHAR *EntryPath(Ctx *c, const WCHAR *key)
{
    Str s = {0};
    const WCHAR *k;
    StrAdd(&s, c->backup); StrAdd(&s, L"\\"); StrAdd(&s, c->hive_name); StrAdd(&s, L"\\");
    for (k = key; *k; k++) {
        if (*k == L'%') StrAdd(&s, L"%25");
        else if (*k == L'/') StrAdd(&s, L"%2F");
        else if (*k == L'\\') StrAdd(&s, L"/");
        else StrAddN(&s, k, 1);
    }
    if (s.oom) { StrFree(&s); return NULL; }
    return s.p;
}

static const WCHAR *ShowName(const WCHAR *name) { return name[0] ? name : L"(Default)"; }

/* Log "<prefix><root>\<key>\<name> = <TYPE data><suffix>" (or ": absent"). */
static void LogVal(Ctx *c, const WCHAR *prefix, const WCHAR *key, const WCHAR *name,
                   const Val *v, const WCHAR *suffix)
{
    Str s = {0};
    StrAdd(&s, L"SsprProxyCA: "); StrAdd(&s, prefix);
    StrAdd(&s, c->root_name); StrAdd(&s, L"\\"); StrAdd(&s, key); StrAdd(&s, L"\\");
    StrAdd(&s, ShowName(name));
    if (v) { StrAdd(&s, L" = "); StrAddVal(&s, v); }
    if (suffix) StrAdd(&s, suffix);
    if (!s.oom) LogStr(c, StrZ(&s));
    StrFree(&s);
}

static void LogNoBackup(Ctx *c, const WCHAR *key, const WCHAR *name)
{
    Log(c, L"no backup for ", c->root_name, L"\\", key, L"\\", ShowName(name), L": left as is", NULL);
}

/* Read root\key\name back after a change and log what is there now. */
static void LogReadBack(Ctx *c, const WCHAR *key, const WCHAR *name)
{
    HKEY k; Val v;
    LONG r = OpenKey(c, c->root, key, KEY_QUERY_VALUE, &k);
    if (r == ERROR_FILE_NOT_FOUND) { LogVal(c, L"read back ", key, name, NULL, L": absent (key absent)"); return; }
    if (r != ERROR_SUCCESS) { LogErr(c, L"read back: RegOpenKeyExW", key, r); return; }
    r = ReadVal(k, name, &v);
    Close(&k);
    if (r == ERROR_FILE_NOT_FOUND) { LogVal(c, L"read back ", key, name, NULL, L": absent"); return; }
    if (r != ERROR_SUCCESS) { LogErr(c, L"read back: RegQueryValueExW", name, r); return; }
    LogVal(c, L"read back ", key, name, &v, NULL);
    ValFree(&v);
}

/* The value a record asks for, as (type, bytes). data points into the record. */
static int RecVal(const Rec *r, Val *v, DWORD *dw)
{
    if (r->kind == R_DWORD) {
        *dw = r->dword;
        v->type = REG_DWORD; v->data = (BYTE *)dw; v->size = 4;
    } else {
        SIZE_T n = WLen(r->text) + 1;
        if (n > 0x7FFFFFFF / sizeof(WCHAR)) return 0;
        v->type = REG_SZ; v->data = (BYTE *)r->text; v->size = (DWORD)(n * sizeof(WCHAR));
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Apply one value                                                           */
/* ------------------------------------------------------------------------ */

static int ApplyValue(Ctx *c, const WCHAR *key, const Rec *rec)
{
    int ok = 0;
    WCHAR *entry = NULL, *missing = NULL, *written = NULL;
    HKEY hb = NULL, hvals = NULL, habs = NULL, ht = NULL;
    Val want, earlier = {0, NULL, 0};
    DWORD dw, one = 1;
    int have_backup, have_earlier = 0, key_created = 0;
    const WCHAR *name = rec->arg;
    LONG r;

    if (!RecVal(rec, &want, &dw)) { Log(c, L"ERROR: value too long: ", name, NULL); return 0; }
    entry = EntryPath(c, key);
    if (!entry) goto oom;

    /* 1. Back up the earlier state unless an entry exists already. */
    r = CreateKey(c, HKEY_LOCAL_MACHINE, entry, &hb);
    if (r != ERROR_SUCCESS) { LogErr(c, L"RegCreateKeyExW HKLM", entry, r); goto done; }
    r = CreateKey(c, hb, L"Values", &hvals);
    if (r == ERROR_SUCCESS) r = CreateKey(c, hb, L"Absent", &habs);
    if (r != ERROR_SUCCESS) { LogErr(c, L"RegCreateKeyExW HKLM", entry, r); goto done; }
    have_backup = RegQueryValueExW(hvals, name, NULL, NULL, NULL, NULL) == ERROR_SUCCESS
               || RegQueryValueExW(habs, name, NULL, NULL, NULL, NULL) == ERROR_SUCCESS;

    if (!have_backup) {
        /* Key-level record, once per entry key (the earliest state wins). */
        if (RegQueryValueExW(hb, L"KeyCreated", NULL, NULL, NULL, NULL) != ERROR_SUCCESS) {
            DWORD created;
            missing = FirstMissing(c, c->root, key);
            created = missing ? 1 : 0;
            if (missing) {
                r = RegSetValueExW(hb, L"CreatedTop", 0, REG_SZ, (const BYTE *)missing,
                                   (DWORD)((WLen(missing) + 1) * sizeof(WCHAR)));
                if (r != ERROR_SUCCESS) { LogErr(c, L"RegSetValueExW CreatedTop in HKLM", entry, r); goto done; }
            }
            r = RegSetValueExW(hb, L"KeyCreated", 0, REG_DWORD, (const BYTE *)&created, 4);
            if (r != ERROR_SUCCESS) { LogErr(c, L"RegSetValueExW KeyCreated in HKLM", entry, r); goto done; }
            key_created = (int)created;
        }
        r = OpenKey(c, c->root, key, KEY_QUERY_VALUE, &ht);
        if (r == ERROR_SUCCESS) {
            r = ReadVal(ht, name, &earlier);
            Close(&ht);
            if (r == ERROR_SUCCESS) have_earlier = 1;
            else if (r != ERROR_FILE_NOT_FOUND) { LogErr(c, L"RegQueryValueExW", name, r); goto done; }
        } else if (r != ERROR_FILE_NOT_FOUND) {
            LogErr(c, L"RegOpenKeyExW", key, r); goto done;
        }
        if (have_earlier) r = WriteVal(hvals, name, &earlier);
        else r = RegSetValueExW(habs, name, 0, REG_DWORD, (const BYTE *)&one, 4);
        if (r != ERROR_SUCCESS) { LogErr(c, L"saving backup in HKLM", entry, r); goto done; }
        RegFlushKey(hb);
    }
    Close(&hvals); Close(&habs); Close(&hb);

    /* 2. Write the value. */
    r = CreateKey(c, c->root, key, &ht);
    if (r != ERROR_SUCCESS) { LogErr(c, L"RegCreateKeyExW", key, r); goto done; }
    r = WriteVal(ht, name, &want);
    Close(&ht);
    if (r != ERROR_SUCCESS) { LogErr(c, L"RegSetValueExW", name, r); goto done; }
    {
        Str suf = {0};
        StrAdd(&suf, L" (earlier: ");
        if (have_backup) StrAdd(&suf, L"kept from an earlier backup");
        else if (have_earlier) StrAddVal(&suf, &earlier);
        else StrAdd(&suf, L"absent");
        if (key_created) StrAdd(&suf, L", key created");
        StrAdd(&suf, L")");
        LogVal(c, L"set ", key, name, &want, StrZ(&suf));
        StrFree(&suf);
    }
    LogReadBack(c, key, name);

    /* 3. Record what was written, so that uninstall compares with it (the
          install's command-line values are gone by then). */
    written = Cat(entry, L"\\Written", NULL);
    if (!written) goto oom;
    r = CreateKey(c, HKEY_LOCAL_MACHINE, written, &hb);
    if (r == ERROR_SUCCESS) r = WriteVal(hb, name, &want);
    if (r != ERROR_SUCCESS) { LogErr(c, L"recording the written value in HKLM", written, r); goto done; }
    ok = 1;
    goto done;
oom:
    Log(c, L"ERROR: out of memory", NULL);
done:
    Close(&ht); Close(&hvals); Close(&habs); Close(&hb);
    ValFree(&earlier);
    Free(entry); Free(missing); Free(written);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Undo one value (rollback of Apply, or uninstall when `remove`)            */
/* ------------------------------------------------------------------------ */

static int UndoValue(Ctx *c, const WCHAR *key, const Rec *rec, int remove)
{
    int ok = 0;
    WCHAR *entry = NULL, *created_top = NULL;
    HKEY hb = NULL, hvals = NULL, habs = NULL, ht = NULL, hwritten = NULL;
    Val want, earlier = {0, NULL, 0}, cur = {0, NULL, 0}, written = {0, NULL, 0};
    const Val *expected = &want;
    DWORD dw, key_created = 0, sz;
    int in_vals, in_abs, have_cur = 0;
    const WCHAR *name = rec->arg;
    LONG r;

    if (!RecVal(rec, &want, &dw)) { Log(c, L"ERROR: value too long: ", name, NULL); return 0; }
    entry = EntryPath(c, key);
    if (!entry) { Log(c, L"ERROR: out of memory", NULL); return 0; }

    r = OpenKey(c, HKEY_LOCAL_MACHINE, entry, KEY_ALL_ACCESS, &hb);
    if (r == ERROR_FILE_NOT_FOUND) {
        LogNoBackup(c, key, name);
        ok = 1; goto done;
    }
    if (r != ERROR_SUCCESS) { LogErr(c, L"RegOpenKeyExW HKLM", entry, r); goto done; }
    in_vals = OpenKey(c, hb, L"Values", KEY_ALL_ACCESS, &hvals) == ERROR_SUCCESS
           && ReadVal(hvals, name, &earlier) == ERROR_SUCCESS;
    in_abs = OpenKey(c, hb, L"Absent", KEY_ALL_ACCESS, &habs) == ERROR_SUCCESS
           && RegQueryValueExW(habs, name, NULL, NULL, NULL, NULL) == ERROR_SUCCESS;
    /* What Apply wrote (the data's value is only a fallback: at uninstall it holds the
       package's defaults, not the install's command line). */
    if (OpenKey(c, hb, L"Written", KEY_ALL_ACCESS, &hwritten) == ERROR_SUCCESS
        && ReadVal(hwritten, name, &written) == ERROR_SUCCESS)
        expected = &written;
    sz = 4;
    if (RegQueryValueExW(hb, L"KeyCreated", NULL, NULL, (BYTE *)&key_created, &sz) != ERROR_SUCCESS || sz != 4)
        key_created = 0;
    if (key_created) {
        Val t;
        if (ReadVal(hb, L"CreatedTop", &t) == ERROR_SUCCESS && t.type == REG_SZ) created_top = (WCHAR *)t.data;
        else ValFree(&t);
    }

    if (!in_vals && !in_abs) {
        /* Never backed up (e.g. Apply never got this far): nothing to undo. */
        LogNoBackup(c, key, name);
        ok = 1; goto cleanup_entry;
    }

    /* Current state of the value. */
    r = OpenKey(c, c->root, key, KEY_ALL_ACCESS, &ht);
    if (r == ERROR_SUCCESS) {
        r = ReadVal(ht, name, &cur);
        if (r == ERROR_SUCCESS) have_cur = 1;
        else if (r != ERROR_FILE_NOT_FOUND) { LogErr(c, L"RegQueryValueExW", name, r); goto done; }
    } else if (r != ERROR_FILE_NOT_FOUND) {
        LogErr(c, L"RegOpenKeyExW", key, r); goto done;
    }

    if (remove && have_cur && !ValEq(&cur, expected)) {
        Str suf = {0};
        StrAdd(&suf, L" (changed since install, expected ");
        StrAddVal(&suf, expected);
        StrAdd(&suf, L"; left as is, backup dropped)");
        LogVal(c, L"kept ", key, name, &cur, StrZ(&suf));
        StrFree(&suf);
    } else if (remove && !have_cur && in_vals) {
        LogVal(c, L"kept ", key, name, NULL, L": absent (deleted since install; left as is, backup dropped)");
    } else if (in_vals) {
        if (!ht) {
            r = CreateKey(c, c->root, key, &ht);
            if (r != ERROR_SUCCESS) { LogErr(c, L"RegCreateKeyExW", key, r); goto done; }
        }
        r = WriteVal(ht, name, &earlier);
        if (r != ERROR_SUCCESS) { LogErr(c, L"RegSetValueExW", name, r); goto done; }
        LogVal(c, L"restored ", key, name, &earlier, NULL);
        LogReadBack(c, key, name);
    } else {
        if (have_cur) {
            r = RegDeleteValueW(ht, name);
            if (r != ERROR_SUCCESS && r != ERROR_FILE_NOT_FOUND) { LogErr(c, L"RegDeleteValueW", name, r); goto done; }
        }
        LogVal(c, L"deleted ", key, name, NULL, have_cur ? L" (earlier: absent)" : L" (earlier: absent; was not there)");
        LogReadBack(c, key, name);
    }
    Close(&ht);

    /* The key, and the parents the install created, when now empty. */
    if (key_created && created_top) {
        r = DeleteEmptyUpwards(c, c->root, c->root_name, key, created_top);
        if (r != ERROR_SUCCESS) goto done;
    }

    /* Drop the backup entry. */
    if (in_vals) {
        r = RegDeleteValueW(hvals, name);
        if (r != ERROR_SUCCESS) { LogErr(c, L"dropping backup of", name, r); goto done; }
    }
    if (in_abs) {
        r = RegDeleteValueW(habs, name);
        if (r != ERROR_SUCCESS) { LogErr(c, L"dropping backup of", name, r); goto done; }
    }
    ok = 1;

cleanup_entry:
    /* Entry key: delete Values/Absent/Written when empty, then the entry key when it
       holds nothing but its key-level record. */
    if (hwritten) RegDeleteValueW(hwritten, name);
    Close(&hvals); Close(&habs); Close(&hwritten);
    {
        DWORD nsub = 1;
        if (KeyIsEmpty(c, hb, L"Written")) DeleteKey(c, hb, L"Written");
        if (KeyIsEmpty(c, hb, L"Values")) DeleteKey(c, hb, L"Values");
        if (KeyIsEmpty(c, hb, L"Absent")) DeleteKey(c, hb, L"Absent");
        if (RegQueryInfoKeyW(hb, NULL, NULL, NULL, &nsub, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == ERROR_SUCCESS
            && nsub == 0) {
            Close(&hb);
            if (OpenKey(c, HKEY_LOCAL_MACHINE, entry, KEY_ALL_ACCESS, &hb) == ERROR_SUCCESS) {
                RegDeleteValueW(hb, L"KeyCreated");
                RegDeleteValueW(hb, L"CreatedTop");
                Close(&hb);
                r = DeleteKey(c, HKEY_LOCAL_MACHINE, entry);
                if (r != ERROR_SUCCESS) { LogErr(c, L"RegDeleteKeyExW HKLM", entry, r); ok = 0; }
            }
        }
    }
done:
    Close(&ht); Close(&hvals); Close(&habs); Close(&hb); Close(&hwritten);
    ValFree(&earlier); ValFree(&cur); ValFree(&written);
    Free(entry); Free(created_top);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Default profile hive                                                      */
/* ------------------------------------------------------------------------ */

static int EnablePrivileges(Ctx *c)
{
    static const WCHAR *const names[2] = { SE_RESTORE_NAME, SE_BACKUP_NAME };
    HANDLE tok = NULL;
    int i, ok = 1;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok)) {
        LogErr(c, L"OpenProcessToken", NULL, (LONG)GetLastError());
        return 0;
    }
    for (i = 0; i < 2; i++) {
        TOKEN_PRIVILEGES tp;
        tp.PrivilegeCount = 1;
        tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
        if (!LookupPrivilegeValueW(NULL, names[i], &tp.Privileges[0].Luid)) {
            LogErr(c, L"LookupPrivilegeValueW", names[i], (LONG)GetLastError()); ok = 0; continue;
        }
        if (!AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL) || GetLastError() != ERROR_SUCCESS) {
            LogErr(c, L"AdjustTokenPrivileges", names[i], (LONG)GetLastError()); ok = 0; continue;
        }
        Log(c, L"enabled ", names[i], NULL);
    }
    CloseHandle(tok);
    return ok;
}

/* Path of the Default profile's NTUSER.DAT from ProfileList\Default, expanded. */
static WCHAR *DefaultHivePath(Ctx *c)
{
    HKEY k = NULL; Val v = {0, NULL, 0};
    WCHAR *raw = NULL, *expanded = NULL, *path = NULL;
    DWORD need, got;
    LONG r = OpenKey(c, HKEY_LOCAL_MACHINE, PROFILE_LIST, KEY_QUERY_VALUE, &k);
    if (r != ERROR_SUCCESS) { LogErr(c, L"cannot read the Default profile path: RegOpenKeyExW HKLM\\" PROFILE_LIST, NULL, r); goto done; }
    r = ReadVal(k, L"Default", &v);
    Close(&k);
    if (r == ERROR_FILE_NOT_FOUND) { Log(c, L"ERROR: HKLM\\" PROFILE_LIST L" has no value Default: cannot find the Default user profile", NULL); goto done; }
    if (r != ERROR_SUCCESS) { LogErr(c, L"RegQueryValueExW HKLM\\" PROFILE_LIST L"\\Default", NULL, r); goto done; }
    if (v.type != REG_EXPAND_SZ && v.type != REG_SZ) { Log(c, L"ERROR: HKLM\\" PROFILE_LIST L"\\Default is not a string", NULL); goto done; }
    raw = (WCHAR *)v.data; v.data = NULL;       /* ReadVal left room for a NUL */
    raw[v.size / sizeof(WCHAR)] = 0;
    need = ExpandEnvironmentStringsW(raw, NULL, 0);
    if (need == 0) { LogErr(c, L"ExpandEnvironmentStringsW", raw, (LONG)GetLastError()); goto done; }
    for (;;) {
        expanded = (WCHAR *)Alloc((SIZE_T)need * sizeof(WCHAR));
        if (!expanded) { Log(c, L"ERROR: out of memory", NULL); goto done; }
        got = ExpandEnvironmentStringsW(raw, expanded, need);
        if (got == 0) { LogErr(c, L"ExpandEnvironmentStringsW", raw, (LONG)GetLastError()); goto done; }
        if (got <= need) break;
        Free(expanded); expanded = NULL; need = got;
    }
    {
        SIZE_T n = WLen(expanded);
        path = Cat(expanded, (n && expanded[n - 1] == L'\\') ? L"" : L"\\", L"NTUSER.DAT", NULL);
    }
    if (!path) Log(c, L"ERROR: out of memory", NULL);
    else Log(c, L"Default profile (ProfileList\\Default = ", raw, L") hive file ", path, NULL);
done:
    Close(&k);
    ValFree(&v); Free(raw); Free(expanded);
    return path;
}

/* ------------------------------------------------------------------------ */
/* Entry point body                                                          */
/* ------------------------------------------------------------------------ */

typedef enum { OP_APPLY, OP_UNDO, OP_REMOVE } Op;

static UINT Run(MSIHANDLE hInstall, const WCHAR *action, Op op)
{
    Ctx c;
    WCHAR *cad = NULL, **lines = NULL, *hive_path = NULL;
    Rec *recs = NULL;
    int nlines = 0, i, ok = 0, loaded = 0;
    DWORD len = 0;
    WCHAR empty[1] = {0};
    UINT ur;
    const WCHAR *key = NULL;

    ZeroMemory(&c, sizeof c);
    c.h = hInstall; c.action = action;
    c.root_name = L"HKLM"; c.hive_name = L"machine"; c.root = HKEY_LOCAL_MACHINE;
    Log(&c, action, L" started", NULL);

    /* Read CustomActionData, whatever its length. */
    ur = MsiGetPropertyW(hInstall, L"CustomActionData", empty, &len);
    if (ur != ERROR_MORE_DATA && ur != ERROR_SUCCESS) { LogErr(&c, L"MsiGetPropertyW", L"CustomActionData", (LONG)ur); goto out; }
    for (;;) {
        DWORD cap = len + 1;
        cad = (WCHAR *)Alloc((SIZE_T)cap * sizeof(WCHAR));
        if (!cad) { Log(&c, L"ERROR: out of memory", NULL); goto out; }
        len = cap;
        ur = MsiGetPropertyW(hInstall, L"CustomActionData", cad, &len);
        if (ur == ERROR_SUCCESS) break;
        Free(cad); cad = NULL;
        if (ur != ERROR_MORE_DATA) { LogErr(&c, L"MsiGetPropertyW", L"CustomActionData", (LONG)ur); goto out; }
    }

    /* Parse and validate everything before changing anything. */
    nlines = SplitRecords(cad, &lines);
    if (nlines < 0) { Log(&c, L"ERROR: out of memory", NULL); goto out; }
    recs = (Rec *)Alloc((SIZE_T)nlines * sizeof(Rec));
    if (!recs) { Log(&c, L"ERROR: out of memory", NULL); goto out; }
    {
        int seen_first = 0, have_key = 0, have_backup = 0;
        for (i = 0; i < nlines; i++) {
            Str orig = {0};
            StrAdd(&orig, lines[i]);            /* for the error message */
            if (orig.oom) { Log(&c, L"ERROR: out of memory", NULL); goto out; }
            if (!ParseRec(lines[i], &recs[i])) {
                Log(&c, L"ERROR: bad CustomActionData record: ", StrZ(&orig), NULL);
                StrFree(&orig); goto out;
            }
            if (recs[i].kind == R_SKIP) { StrFree(&orig); continue; }
            if (!seen_first && recs[i].kind != R_HIVE) {
                Log(&c, L"ERROR: the first CustomActionData record must be hive=..., got: ", StrZ(&orig), NULL);
                StrFree(&orig); goto out;
            }
            seen_first = 1;
            switch (recs[i].kind) {
            case R_HIVE:
                if (c.hive_set) goto bad;
                if (WEq(recs[i].arg, L"machine")) c.default_profile = 0;
                else if (WEq(recs[i].arg, L"default-profile")) c.default_profile = 1;
                else goto bad;
                c.hive_set = 1; break;
            case R_VIEW:
                if (c.view_set || have_key) goto bad;
                if (WEq(recs[i].arg, L"64")) c.view = KEY_WOW64_64KEY;
                else if (WEq(recs[i].arg, L"32")) c.view = KEY_WOW64_32KEY;
                else goto bad;
                c.view_set = 1; break;
            case R_BACKUP:
                if (have_backup || have_key) goto bad;
                c.backup = recs[i].arg; have_backup = 1; break;
            case R_KEY:
                if (!c.view_set || !have_backup) {
                    Log(&c, L"ERROR: view= and backup= must come before the first key= record: ", StrZ(&orig), NULL);
                    StrFree(&orig); goto out;
                }
                have_key = 1; break;
            case R_DWORD: case R_SZ:
                if (!have_key) {
                    Log(&c, L"ERROR: value record before any key= record: ", StrZ(&orig), NULL);
                    StrFree(&orig); goto out;
                }
                break;
            default: break;
            }
            StrFree(&orig);
            continue;
        bad:
            Log(&c, L"ERROR: bad or repeated CustomActionData record: ", StrZ(&orig), NULL);
            StrFree(&orig); goto out;
        }
        if (!c.hive_set) { Log(&c, L"ERROR: CustomActionData has no hive= record", NULL); goto out; }
        if (!c.view_set || !have_backup) { Log(&c, L"ERROR: CustomActionData needs view= and backup=", NULL); goto out; }
    }
    {
        WCHAR b[24];
        Log(&c, action, L": hive=", c.default_profile ? L"default-profile" : L"machine",
            L" view=", Dec(b, c.view == KEY_WOW64_64KEY ? 64 : 32),
            L" backup=HKLM\\", c.backup, NULL);
    }

    /* Mount the Default profile hive. */
    if (c.default_profile) {
        HKEY stale = NULL;
        LONG r;
        c.hive_name = L"default-profile";
        hive_path = DefaultHivePath(&c);
        if (!hive_path) goto out;
        if (GetFileAttributesW(hive_path) == INVALID_FILE_ATTRIBUTES) {
            Log(&c, L"ERROR: Default profile hive file not found: ", hive_path, NULL);
            goto out;
        }
        if (!EnablePrivileges(&c)) goto out;
        if (RegOpenKeyExW(HKEY_USERS, MOUNT_NAME, 0, KEY_READ, &stale) == ERROR_SUCCESS) {
            Close(&stale);
            r = RegUnLoadKeyW(HKEY_USERS, MOUNT_NAME);
            if (r != ERROR_SUCCESS) { LogErr(&c, L"RegUnLoadKeyW (stale mount)", MOUNT_LOG, r); goto out; }
            Log(&c, L"unloaded stale " MOUNT_LOG, NULL);
        }
        r = RegLoadKeyW(HKEY_USERS, MOUNT_NAME, hive_path);
        if (r != ERROR_SUCCESS) {
            Str s = {0};
            StrAdd(&s, hive_path); StrAdd(&s, L" at " MOUNT_LOG);
            LogErr(&c, L"RegLoadKeyW", StrZ(&s), r);
            StrFree(&s);
            goto out;
        }
        loaded = 1;
        Log(&c, L"loaded ", hive_path, L" at " MOUNT_LOG, NULL);
        c.root = NULL;
        r = RegOpenKeyExW(HKEY_USERS, MOUNT_NAME, 0, KEY_ALL_ACCESS | c.view, &c.root);
        if (r != ERROR_SUCCESS) { LogErr(&c, L"RegOpenKeyExW", MOUNT_LOG, r); c.root = NULL; goto out; }
        c.root_name = MOUNT_LOG;
    }

    /* The work. Undo/Remove go on after a failed value and fail at the end,
       so that one bad value does not leave all the others changed. */
    ok = 1;
    for (i = 0; i < nlines; i++) {
        if (recs[i].kind == R_KEY) { key = recs[i].arg; continue; }
        if (recs[i].kind != R_DWORD && recs[i].kind != R_SZ) continue;
        if (op == OP_APPLY) {
            if (!ApplyValue(&c, key, &recs[i])) { ok = 0; break; }
        } else {
            if (!UndoValue(&c, key, &recs[i], op == OP_REMOVE)) ok = 0;
        }
    }
    if (op != OP_APPLY) {
        /* <backup>\<hive>, then <backup> and its parents, when empty. */
        WCHAR *hb = Cat(c.backup, L"\\", c.hive_name, NULL);
        if (!hb) { Log(&c, L"ERROR: out of memory", NULL); ok = 0; }
        else {
            if (DeleteEmptyUpwards(&c, HKEY_LOCAL_MACHINE, L"HKLM", hb, NULL) != ERROR_SUCCESS) ok = 0;
            Free(hb);
        }
        if (!KeyExists(&c, HKEY_LOCAL_MACHINE, c.backup))
            Log(&c, L"backup HKLM\\", c.backup, L" is gone", NULL);
        else if (ok)
            Log(&c, L"backup HKLM\\", c.backup, L" kept: it still holds other entries", NULL);
    }

out:
    /* Single cleanup path: every handle closed, the hive unloaded. */
    if (c.root && c.root != HKEY_LOCAL_MACHINE) { RegCloseKey(c.root); c.root = NULL; }
    if (loaded) {
        /* Windows can hold the hive for a moment after the last handle is
           closed (lazy flush); try a few times before giving up. */
        LONG r = ERROR_SUCCESS;
        int attempt;
        for (attempt = 0; attempt < 10; attempt++) {
            r = RegUnLoadKeyW(HKEY_USERS, MOUNT_NAME);
            if (r == ERROR_SUCCESS) break;
            Sleep(300);
        }
        if (r != ERROR_SUCCESS) { LogErr(&c, L"RegUnLoadKeyW", MOUNT_LOG, r); ok = 0; }
        else Log(&c, L"unloaded " MOUNT_LOG, NULL);
    }
    Free(hive_path); Free(recs); Free(lines); Free(cad);
    {
        WCHAR b[24];
        Log(&c, action, ok ? L" succeeded" : L" failed", L" (return ", Dec(b, ok ? CA_OK : CA_FAIL), L")", NULL);
    }
    return ok ? CA_OK : CA_FAIL;
}

UINT __stdcall SsprRegistryApply(MSIHANDLE hInstall)     { return Run(hInstall, L"SsprRegistryApply", OP_APPLY); }
UINT __stdcall SsprRegistryUndoApply(MSIHANDLE hInstall) { return Run(hInstall, L"SsprRegistryUndoApply", OP_UNDO); }
UINT __stdcall SsprRegistryRemove(MSIHANDLE hInstall)    { return Run(hInstall, L"SsprRegistryRemove", OP_REMOVE); }
