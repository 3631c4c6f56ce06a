/*
 * SsprTestCredProv.dll - a minimal but genuine in-process COM server for the
 * sspr-msi credential provider CLSID {86D2F0AC-2171-46CF-9998-4E33B3D7FD4F}.
 *
 * Purpose: a test payload for the MSI builder. It lets tests prove that the
 * Registry/File tables an MSI writes really make CoCreateInstance find and
 * load the DLL, without shipping Microsoft's real provider. It never touches
 * credentials; every ICredentialProvider method is a harmless stub.
 *
 * Written in plain C so the vtable layout is explicit and there is no C++
 * runtime to drag along.
 */
#include "sspr_credprov_iface.h"

/*
 * Number of reasons the DLL must stay loaded: live provider objects,
 * outstanding references to the class factory, and IClassFactory::LockServer
 * locks. DllCanUnloadNow answers S_OK only when this is zero, so COM
 * (CoFreeUnusedLibraries) never unloads code that still has callers.
 */
static volatile LONG g_moduleRefs = 0;

static void ModuleAddRef(void)  { InterlockedIncrement(&g_moduleRefs); }
static void ModuleRelease(void) { InterlockedDecrement(&g_moduleRefs); }

/* ------------------------------------------------------------------------ */
/* The provider object                                                       */
/* ------------------------------------------------------------------------ */

typedef struct Provider {
    ICredentialProvider iface;          /* must be first: This == &iface */
    volatile LONG refs;
    CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus;
} Provider;

static HRESULT STDMETHODCALLTYPE Provider_QueryInterface(ICredentialProvider *This, REFIID riid, void **ppv)
{
    if (ppv == NULL)
        return E_POINTER;
    /* One object, one interface (plus IUnknown): the same pointer serves both,
     * which keeps COM identity rules trivially satisfied. */
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ICredentialProvider)) {
        *ppv = This;
        This->lpVtbl->AddRef(This);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE Provider_AddRef(ICredentialProvider *This)
{
    return (ULONG)InterlockedIncrement(&((Provider *)This)->refs);
}

static ULONG STDMETHODCALLTYPE Provider_Release(ICredentialProvider *This)
{
    Provider *self = (Provider *)This;
    LONG refs = InterlockedDecrement(&self->refs);
    if (refs == 0) {
        /* HeapAlloc/HeapFree rather than malloc: keeps the allocator in
         * KERNEL32 and independent of which CRT the host process uses. */
        HeapFree(GetProcessHeap(), 0, self);
        ModuleRelease();              /* paired with ModuleAddRef in CreateInstance */
    }
    return (ULONG)refs;
}

static HRESULT STDMETHODCALLTYPE Provider_SetUsageScenario(ICredentialProvider *This,
                                                           CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus, DWORD dwFlags)
{
    (void)dwFlags;
    /* Like a real SSPR provider: only the logon and unlock screens.
     * E_NOTIMPL is the documented way to decline other scenarios. */
    if (cpus == CPUS_LOGON || cpus == CPUS_UNLOCK_WORKSTATION) {
        ((Provider *)This)->cpus = cpus;
        return S_OK;
    }
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE Provider_SetSerialization(ICredentialProvider *This,
                                                           const CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *pcpcs)
{
    (void)This; (void)pcpcs;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE Provider_Advise(ICredentialProvider *This,
                                                 ICredentialProviderEvents *pcpe, UINT_PTR ctx)
{
    (void)This; (void)pcpe; (void)ctx;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE Provider_UnAdvise(ICredentialProvider *This)
{
    (void)This;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE Provider_GetFieldDescriptorCount(ICredentialProvider *This, DWORD *pdwCount)
{
    (void)This;
    if (pdwCount == NULL)
        return E_POINTER;
    *pdwCount = 0;                    /* no UI fields: nothing ever shows on LogonUI */
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE Provider_GetFieldDescriptorAt(ICredentialProvider *This, DWORD dwIndex,
                                                               CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR **ppcpfd)
{
    (void)This; (void)dwIndex;
    if (ppcpfd != NULL)
        *ppcpfd = NULL;
    return E_INVALIDARG;              /* there are zero fields, so every index is out of range */
}

static HRESULT STDMETHODCALLTYPE Provider_GetCredentialCount(ICredentialProvider *This, DWORD *pdwCount,
                                                             DWORD *pdwDefault, BOOL *pbAutoLogonWithDefault)
{
    (void)This;
    if (pdwCount == NULL || pdwDefault == NULL || pbAutoLogonWithDefault == NULL)
        return E_POINTER;
    *pdwCount = 0;                    /* zero tiles */
    *pdwDefault = CREDENTIAL_PROVIDER_NO_DEFAULT;
    *pbAutoLogonWithDefault = FALSE;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE Provider_GetCredentialAt(ICredentialProvider *This, DWORD dwIndex,
                                                          ICredentialProviderCredential **ppcpc)
{
    (void)This; (void)dwIndex;
    if (ppcpc != NULL)
        *ppcpc = NULL;
    return E_INVALIDARG;              /* zero credentials */
}

static const ICredentialProviderVtbl g_providerVtbl = {
    Provider_QueryInterface,
    Provider_AddRef,
    Provider_Release,
    Provider_SetUsageScenario,
    Provider_SetSerialization,
    Provider_Advise,
    Provider_UnAdvise,
    Provider_GetFieldDescriptorCount,
    Provider_GetFieldDescriptorAt,
    Provider_GetCredentialCount,
    Provider_GetCredentialAt,
};

/* ------------------------------------------------------------------------ */
/* The class factory: a single static instance.                             */
/* ------------------------------------------------------------------------ */

static HRESULT STDMETHODCALLTYPE Factory_QueryInterface(IClassFactory *This, REFIID riid, void **ppv)
{
    if (ppv == NULL)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
        *ppv = This;
        This->lpVtbl->AddRef(This);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

/* The factory is static, so it has no refcount of its own; instead each
 * reference pins the module, so a caller holding the factory can never see
 * its code unloaded underneath it. */
static ULONG STDMETHODCALLTYPE Factory_AddRef(IClassFactory *This)
{
    (void)This;
    ModuleAddRef();
    return 2;                         /* conventional value for static objects */
}

static ULONG STDMETHODCALLTYPE Factory_Release(IClassFactory *This)
{
    (void)This;
    ModuleRelease();
    return 1;
}

static HRESULT STDMETHODCALLTYPE Factory_CreateInstance(IClassFactory *This, IUnknown *pUnkOuter,
                                                        REFIID riid, void **ppv)
{
    Provider *obj;
    HRESULT hr;

    (void)This;
    if (ppv == NULL)
        return E_POINTER;
    *ppv = NULL;
    if (pUnkOuter != NULL)
        return CLASS_E_NOAGGREGATION;

    obj = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*obj));
    if (obj == NULL)
        return E_OUTOFMEMORY;
    obj->iface.lpVtbl = &g_providerVtbl;
    obj->refs = 1;                    /* our temporary reference */
    obj->cpus = CPUS_INVALID;
    ModuleAddRef();

    /* QI takes the caller's reference; dropping ours afterwards frees the
     * object (and the module ref) if the requested interface was refused. */
    hr = obj->iface.lpVtbl->QueryInterface(&obj->iface, riid, ppv);
    obj->iface.lpVtbl->Release(&obj->iface);
    return hr;
}

static HRESULT STDMETHODCALLTYPE Factory_LockServer(IClassFactory *This, BOOL fLock)
{
    (void)This;
    if (fLock)
        ModuleAddRef();
    else
        ModuleRelease();
    return S_OK;
}

static const IClassFactoryVtbl g_factoryVtbl = {
    Factory_QueryInterface,
    Factory_AddRef,
    Factory_Release,
    Factory_CreateInstance,
    Factory_LockServer,
};

static IClassFactory g_factory = { (IClassFactoryVtbl *)&g_factoryVtbl };

/* ------------------------------------------------------------------------ */
/* DLL exports (undecorated names come from sspr_credprov.def)               */
/* ------------------------------------------------------------------------ */

HRESULT STDAPICALLTYPE DllGetClassObject(REFCLSID rclsid, REFIID riid, void **ppv)
{
    if (ppv == NULL)
        return E_POINTER;
    *ppv = NULL;
    /* Serve only our own CLSID, so a wrong registry entry pointing another
     * CLSID at this file fails loudly instead of silently "working". */
    if (!IsEqualCLSID(rclsid, &CLSID_SsprTestCredProv))
        return CLASS_E_CLASSNOTAVAILABLE;
    return g_factory.lpVtbl->QueryInterface(&g_factory, riid, ppv);
}

HRESULT STDAPICALLTYPE DllCanUnloadNow(void)
{
    return g_moduleRefs == 0 ? S_OK : S_FALSE;
}

/* Registration is the MSI's job (Registry table), so self-registration is
 * deliberately a no-op: regsvr32 succeeds but changes nothing, and the test
 * results therefore reflect only what the package wrote. */
HRESULT STDAPICALLTYPE DllRegisterServer(void)
{
    return S_OK;
}

HRESULT STDAPICALLTYPE DllUnregisterServer(void)
{
    return S_OK;
}
