/*
 * cocreate_client.exe - activates the sspr-msi credential provider CLSID the
 * way LogonUI would (CoCreateInstance, in-process) and reports which DLL
 * actually served it.
 *
 * Usage: cocreate_client.exe [--iunknown]
 *   default      ask CoCreateInstance for IID_ICredentialProvider directly
 *   --iunknown   ask for IID_IUnknown, then QueryInterface to the provider
 *                (exercises the QI path as well)
 *
 * stdout gets exactly one line, meant to be parsed by tests:
 *   COCREATE_OK hr=0x00000000 module=<full path of the serving DLL>   exit 0
 *   COCREATE_FAIL hr=0x........                                        exit 1
 * A human-readable reason for a failure goes to stderr. Bad usage exits 2.
 *
 * It works with any DLL registered under the CLSID, not only the test
 * payload, because it only uses ICredentialProvider methods.
 */
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <io.h>
#include "sspr_credprov_iface.h"

typedef HRESULT (STDAPICALLTYPE *DllCanUnloadNowFn)(void);

static int fail(HRESULT hr, const char *step)
{
    printf("COCREATE_FAIL hr=0x%08lX\n", (unsigned long)hr);
    fprintf(stderr, "cocreate_client: %s failed with 0x%08lX\n", step, (unsigned long)hr);
    return 1;
}

int main(int argc, char **argv)
{
    ICredentialProvider *cp = NULL;
    HMODULE module = NULL;
    static WCHAR wpath[32768];
    static char path[3 * 32768];
    DWORD count = 0xFFFFFFFF;
    DllCanUnloadNowFn canUnload;
    int use_iunknown = 0;
    HRESULT hr;

    if (argc == 2 && strcmp(argv[1], "--iunknown") == 0) {
        use_iunknown = 1;
    } else if (argc != 1) {
        fprintf(stderr, "usage: cocreate_client.exe [--iunknown]\n");
        return 2;
    }

    /* Binary stdout: plain "\n" line endings, so the parser on the (Unix)
     * test side sees the same bytes under Wine as on Windows. */
    _setmode(_fileno(stdout), _O_BINARY);

    /* Single-threaded apartment, matching ThreadingModel=Apartment: COM then
     * hands us the object directly instead of a cross-apartment proxy, so the
     * vtable we inspect below belongs to the real DLL. */
    hr = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
    if (FAILED(hr))
        return fail(hr, "CoInitializeEx");

    if (use_iunknown) {
        IUnknown *unk = NULL;
        hr = CoCreateInstance(&CLSID_SsprTestCredProv, NULL, CLSCTX_INPROC_SERVER,
                              &IID_IUnknown, (void **)&unk);
        if (FAILED(hr)) {
            CoUninitialize();
            return fail(hr, "CoCreateInstance(IID_IUnknown)");
        }
        hr = unk->lpVtbl->QueryInterface(unk, &IID_ICredentialProvider, (void **)&cp);
        unk->lpVtbl->Release(unk);
        if (FAILED(hr)) {
            CoUninitialize();
            return fail(hr, "QueryInterface(IID_ICredentialProvider)");
        }
    } else {
        hr = CoCreateInstance(&CLSID_SsprTestCredProv, NULL, CLSCTX_INPROC_SERVER,
                              &IID_ICredentialProvider, (void **)&cp);
        if (FAILED(hr)) {
            CoUninitialize();
            return fail(hr, "CoCreateInstance(IID_ICredentialProvider)");
        }
    }

    /* Which DLL served the object? Its vtable lives in that DLL's image, so
     * look the module up by that address. This reports the file COM really
     * loaded (whatever it is named), and pins it with a reference of our own
     * so it stays mapped for the DllCanUnloadNow check below. */
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
                            (LPCWSTR)(const void *)cp->lpVtbl, &module)) {
        hr = HRESULT_FROM_WIN32(GetLastError());
        cp->lpVtbl->Release(cp);
        CoUninitialize();
        return fail(hr, "GetModuleHandleExW");
    }

    hr = cp->lpVtbl->SetUsageScenario(cp, CPUS_LOGON, 0);
    if (hr != S_OK) {
        cp->lpVtbl->Release(cp);
        CoUninitialize();
        return fail(FAILED(hr) ? hr : E_UNEXPECTED, "SetUsageScenario(CPUS_LOGON)");
    }
    hr = cp->lpVtbl->GetFieldDescriptorCount(cp, &count);
    cp->lpVtbl->Release(cp);
    cp = NULL;
    if (FAILED(hr)) {
        CoUninitialize();
        return fail(hr, "GetFieldDescriptorCount");
    }

    /* With our last reference gone, a correctly refcounted server must agree
     * to be unloaded. Only checked if the DLL exports it (every COM DLL should). */
    canUnload = (DllCanUnloadNowFn)(void (*)(void))GetProcAddress(module, "DllCanUnloadNow");
    if (canUnload == NULL) {
        hr = HRESULT_FROM_WIN32(GetLastError());
        CoUninitialize();
        return fail(hr, "GetProcAddress(DllCanUnloadNow)");
    }
    hr = canUnload();
    if (hr != S_OK) {
        CoUninitialize();
        return fail(FAILED(hr) ? hr : E_UNEXPECTED, "DllCanUnloadNow after final Release (leaked reference?)");
    }

    if (GetModuleFileNameW(module, wpath, sizeof(wpath) / sizeof(wpath[0])) == 0 ||
        WideCharToMultiByte(CP_UTF8, 0, wpath, -1, path, sizeof(path), NULL, NULL) == 0) {
        hr = HRESULT_FROM_WIN32(GetLastError());
        CoUninitialize();
        return fail(hr, "GetModuleFileNameW");
    }
    FreeLibrary(module);
    CoUninitialize();

    (void)count;  /* any value is acceptable from a foreign provider; ours reports 0 */
    printf("COCREATE_OK hr=0x%08lX module=%s\n", (unsigned long)S_OK, path);
    fflush(stdout);
    return 0;
}
