/*
 * Hand-written declaration of ICredentialProvider, shared by the test DLL
 * and the test client.
 *
 * Why: mingw-w64 does not ship credentialprovider.h, and the test payload
 * only needs the vtable *layout* to be right (method count and order must
 * match the Windows SDK header, or a real LogonUI would call the wrong slot).
 * Structures the payload never dereferences are declared opaque.
 */
#ifndef SSPR_CREDPROV_IFACE_H
#define SSPR_CREDPROV_IFACE_H

#include <windows.h>
#include <objbase.h>

/* The CLSID the sspr-msi package registers for its credential provider. */
static const CLSID CLSID_SsprTestCredProv =
    {0x86d2f0ac, 0x2171, 0x46cf, {0x99, 0x98, 0x4e, 0x33, 0xb3, 0xd7, 0xfd, 0x4f}};

/* IID_ICredentialProvider, as in credentialprovider.h. */
static const IID IID_ICredentialProvider =
    {0xd27c3481, 0x5a1c, 0x45b2, {0x8a, 0xaa, 0xc2, 0x0e, 0xbb, 0xe8, 0x22, 0x9e}};

/* Values match CREDENTIAL_PROVIDER_USAGE_SCENARIO in credentialprovider.h. */
typedef enum _CREDENTIAL_PROVIDER_USAGE_SCENARIO {
    CPUS_INVALID = 0,
    CPUS_LOGON = 1,
    CPUS_UNLOCK_WORKSTATION = 2,
    CPUS_CHANGE_PASSWORD = 3,
    CPUS_CREDUI = 4,
    CPUS_PLAP = 5
} CREDENTIAL_PROVIDER_USAGE_SCENARIO;

/* Opaque: only ever passed through as pointers by this payload. */
typedef struct _CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION
    CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION;
typedef struct _CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR
    CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR;
typedef struct ICredentialProviderEvents ICredentialProviderEvents;
typedef struct ICredentialProviderCredential ICredentialProviderCredential;

/* GetCredentialCount: "no default credential". */
#define CREDENTIAL_PROVIDER_NO_DEFAULT ((DWORD)-1)

typedef struct ICredentialProvider ICredentialProvider;

/* Slot order is ABI: IUnknown (3 slots) followed by the 8 methods below,
 * exactly in credentialprovider.h order. STDMETHODCALLTYPE matters on x86. */
typedef struct ICredentialProviderVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ICredentialProvider *This, REFIID riid, void **ppv);
    ULONG   (STDMETHODCALLTYPE *AddRef)(ICredentialProvider *This);
    ULONG   (STDMETHODCALLTYPE *Release)(ICredentialProvider *This);
    HRESULT (STDMETHODCALLTYPE *SetUsageScenario)(ICredentialProvider *This,
                                                  CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus, DWORD dwFlags);
    HRESULT (STDMETHODCALLTYPE *SetSerialization)(ICredentialProvider *This,
                                                  const CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *pcpcs);
    HRESULT (STDMETHODCALLTYPE *Advise)(ICredentialProvider *This,
                                        ICredentialProviderEvents *pcpe, UINT_PTR upAdviseContext);
    HRESULT (STDMETHODCALLTYPE *UnAdvise)(ICredentialProvider *This);
    HRESULT (STDMETHODCALLTYPE *GetFieldDescriptorCount)(ICredentialProvider *This, DWORD *pdwCount);
    HRESULT (STDMETHODCALLTYPE *GetFieldDescriptorAt)(ICredentialProvider *This, DWORD dwIndex,
                                                      CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR **ppcpfd);
    HRESULT (STDMETHODCALLTYPE *GetCredentialCount)(ICredentialProvider *This, DWORD *pdwCount,
                                                    DWORD *pdwDefault, BOOL *pbAutoLogonWithDefault);
    HRESULT (STDMETHODCALLTYPE *GetCredentialAt)(ICredentialProvider *This, DWORD dwIndex,
                                                 ICredentialProviderCredential **ppcpc);
} ICredentialProviderVtbl;

struct ICredentialProvider {
    const ICredentialProviderVtbl *lpVtbl;
};

#endif /* SSPR_CREDPROV_IFACE_H */
