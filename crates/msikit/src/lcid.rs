//! Windows' locale identifiers (LCIDs), as data: the 229 that the `lcid` npm package
//! (4.0.1, MIT; built from Microsoft's [MS-LCID] list) maps to a locale name. Windows and
//! Wine accept a package language that is one of these (IsValidLocale).

/// The known LCIDs, sorted.
const KNOWN: &[u16] = &[
    4, 1025, 1026, 1027, 1028, 1029, 1030, 1031, 1032, 1033, 1034, 1035, 1036, 1037, 1038, 1039,
    1040, 1041, 1042, 1043, 1044, 1045, 1046, 1047, 1048, 1049, 1050, 1051, 1052, 1053, 1054, 1055,
    1056, 1057, 1058, 1059, 1060, 1061, 1062, 1063, 1064, 1065, 1066, 1067, 1069, 1070, 1071, 1072,
    1073, 1074, 1075, 1076, 1077, 1078, 1079, 1080, 1081, 1082, 1083, 1084, 1085, 1086, 1087, 1088,
    1089, 1090, 1092, 1093, 1094, 1095, 1096, 1097, 1098, 1099, 1100, 1101, 1102, 1103, 1104, 1105,
    1106, 1107, 1108, 1109, 1110, 1111, 1113, 1114, 1115, 1116, 1118, 1119, 1121, 1122, 1123, 1124,
    1125, 1126, 1127, 1128, 1129, 1130, 1131, 1132, 1133, 1134, 1135, 1144, 1146, 1148, 1150, 1152,
    1153, 1154, 1155, 1156, 1157, 1158, 1159, 1160, 1164, 2049, 2052, 2055, 2057, 2058, 2060, 2064,
    2067, 2068, 2070, 2072, 2073, 2077, 2080, 2092, 2094, 2107, 2108, 2110, 2115, 2128, 2129, 2141,
    2143, 2145, 2155, 2163, 3073, 3076, 3079, 3081, 3082, 3084, 3098, 3131, 3179, 4097, 4100, 4103,
    4105, 4106, 4108, 4122, 4155, 5121, 5124, 5127, 5129, 5130, 5132, 5179, 6145, 6153, 6154, 6156,
    6203, 7169, 7177, 7178, 7180, 7194, 7227, 8193, 8201, 8202, 8204, 8218, 8251, 9217, 9225, 9226,
    9228, 9275, 10241, 10249, 10250, 10252, 11265, 11273, 11274, 11276, 12289, 12297, 12298, 12300,
    13313, 13321, 13322, 13324, 14337, 14345, 14346, 14348, 15361, 15369, 15370, 15372, 16385,
    16393, 16394, 17417, 17418, 18441, 18442, 19466, 20490, 21514, 31748,
];

/// Whether `lcid` is a locale Windows knows.
pub fn is_known(lcid: u32) -> bool {
    u16::try_from(lcid).is_ok_and(|lcid| KNOWN.binary_search(&lcid).is_ok())
}

/// Whether some known locale has `lcid`'s primary language (its low 10 bits).
pub fn primary_language_known(lcid: u32) -> bool {
    KNOWN
        .iter()
        .any(|known| u32::from(known & 0x3FF) == lcid & 0x3FF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_holds_the_common_languages() {
        assert!(KNOWN.windows(2).all(|pair| pair[0] < pair[1]));
        for lcid in [1033, 1031, 1036, 2052, 1041, 3082] {
            assert!(is_known(lcid), "{lcid}");
        }
        assert!(!is_known(1000) && !is_known(70_000));
        assert!(primary_language_known(30729) && !primary_language_known(9999));
    }
}
