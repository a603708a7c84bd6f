package nba

// SeedFeatures are the 39 features of the original system's /predict body,
// in order. The order is also the column order of the Open Inference
// Protocol input tensor, so it must never change. Numeric values come
// unscaled; Year/Month/Day/Day_of_Week come from Game Date (Monday = 0).
var SeedFeatures = [NumSeedFeatures]string{
	"Period", "Minutes_Remaining", "Seconds_Remaining", "Shot_Distance", "X_Location", "Y_Location",
	"Action_Type_Frequency", "Team_Name_Frequency", "Home_Team_Frequency", "Away_Team_Frequency",
	"ShotType_2PT_Field_Goal", "ShotType_3PT_Field_Goal",
	"ShotZoneBasic_Above_the_Break_3", "ShotZoneBasic_Backcourt", "ShotZoneBasic_In_The_Paint_Non_RA",
	"ShotZoneBasic_Left_Corner_3", "ShotZoneBasic_Mid_Range", "ShotZoneBasic_Restricted_Area",
	"ShotZoneBasic_Right_Corner_3",
	"ShotZoneArea_Back_Court_BC", "ShotZoneArea_Center_C", "ShotZoneArea_Left_Side_Center_LC",
	"ShotZoneArea_Left_Side_L", "ShotZoneArea_Right_Side_Center_RC", "ShotZoneArea_Right_Side_R",
	"ShotZoneRange_16_24_ft", "ShotZoneRange_24_ft", "ShotZoneRange_8_16_ft", "ShotZoneRange_Back_Court_Shot",
	"ShotZoneRange_Less_Than_8_ft",
	"SeasonType_Playoffs", "SeasonType_Regular_Season",
	"Game_ID_Frequency", "Game_Event_ID_Frequency", "Player_ID_Frequency",
	"Year", "Month", "Day", "Day_of_Week",
}

// NumSeedFeatures is the length of the original feature vector.
const NumSeedFeatures = 39
