"""Writes a WiX source for wixl with COUNT files, one component each, into FOLDER: the foreign
package `benches/run.sh` scales `verify` on.

    python3 benches/many_files.py COUNT FOLDER [SIZE]  # writes FOLDER/many.wxs and FOLDER/files/
    (cd FOLDER && wixl -o many.msi many.wxs)

Without SIZE each file is one short line; with SIZE each holds SIZE pseudo-random bytes (a
fixed seed per file), which MSZIP cannot shrink, so the cabinet is about COUNT x SIZE.
"""

import random
import sys
from pathlib import Path

count, folder = int(sys.argv[1]), Path(sys.argv[2])
size = int(sys.argv[3]) if len(sys.argv) > 3 else None
(folder / "files").mkdir(parents=True, exist_ok=True)
components, references = [], []
for index in range(count):
    path = folder / "files" / f"f{index}.txt"
    if size is None:
        path.write_text(f"file {index}\n")
    else:
        path.write_bytes(random.Random(index).randbytes(size))
    components.append(
        # wixl takes Source relative to the folder it runs in, never absolute.
        f'<Component Id="C{index}" Guid="*"><File Id="F{index}" Source="files/f{index}.txt" KeyPath="yes"/></Component>'
    )
    references.append(f'<ComponentRef Id="C{index}"/>')
(folder / "many.wxs").write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Many files" Language="1033" Version="1.0.0" Manufacturer="Contoso"
           UpgradeCode="{{6E1E42B6-2C6A-5B1B-9B9B-6D3B3E1C0A02}}">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="files.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder"><Directory Id="INSTALLDIR" Name="Many">
        {"".join(components)}
      </Directory></Directory>
    </Directory>
    <Feature Id="Main" Level="1">{"".join(references)}</Feature>
  </Product>
</Wix>
""")
